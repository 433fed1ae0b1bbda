from app.web.marking.views import bp

__all__ = ["bp"]
