from app.web.exports.views import bp

__all__ = ["bp"]
