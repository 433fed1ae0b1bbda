"""Pure domain logic: no Flask, no database. Imported by services, web and CLI; imports nothing
from them."""
