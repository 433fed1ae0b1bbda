from app.blueprints.library.views import bp

__all__ = ["bp"]
