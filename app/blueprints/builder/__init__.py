from app.blueprints.builder.views import bp

__all__ = ["bp"]
