from app.web.builder.views import bp

__all__ = ["bp"]
