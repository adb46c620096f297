"""Development settings: the embedded default with DEBUG on."""
from .base import *  # noqa: F403
from .env import env_bool

DEBUG = env_bool("DJANGO_DEBUG", True)
