from app.blueprints.student.views import bp

__all__ = ["bp"]
