# Production image: one image for web (gunicorn), worker and beat (celery), same settings.
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
    libharfbuzz-subset0 fontconfig fonts-dejavu-core fonts-wqy-microhei \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY mcportal ./mcportal
COPY courses ./courses
COPY enrollment ./enrollment
COPY credentials ./credentials
COPY verification ./verification
COPY payments ./payments
COPY checklist ./checklist
RUN pip install .
COPY . .
RUN useradd --system --uid 1000 mcportal && mkdir -p /app/var && chown -R mcportal /app/var
USER mcportal
ENV DJANGO_SETTINGS_MODULE=mcportal.settings.production
EXPOSE 8000
CMD ["gunicorn", "mcportal.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
