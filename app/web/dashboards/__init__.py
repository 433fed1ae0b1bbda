from app.web.dashboards.views import bp

__all__ = ["bp"]
