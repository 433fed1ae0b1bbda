from app.web.student.views import bp

__all__ = ["bp"]
