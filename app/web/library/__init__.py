from app.web.library.views import bp

__all__ = ["bp"]
