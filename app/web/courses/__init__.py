from app.web.courses.views import bp

__all__ = ["bp"]
