from app.blueprints.grading.views import bp

__all__ = ["bp"]
