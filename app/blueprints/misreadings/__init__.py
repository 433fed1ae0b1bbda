from app.blueprints.misreadings.views import bp

__all__ = ["bp"]
