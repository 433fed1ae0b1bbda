from app.web.misreadings.views import bp

__all__ = ["bp"]
