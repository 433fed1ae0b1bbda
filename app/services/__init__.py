"""Operations that touch the database, one module per concept. Used by the web and the CLI; built
on app.domain."""
