from app.blueprints.dashboards.views import bp

__all__ = ["bp"]
