"""The REST API of enrolment (/api/v1/): serializers, views and routes."""
