from app.blueprints.exports.views import bp

__all__ = ["bp"]
