"""The authoring studio blueprint."""

from app.web.studio.views import bp

__all__ = ["bp"]
