from app.blueprints.courses.views import bp

__all__ = ["bp"]
