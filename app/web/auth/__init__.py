from app.web.auth.views import bp

__all__ = ["bp"]
