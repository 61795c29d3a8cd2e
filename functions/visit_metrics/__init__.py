"""The visit metrics Lambda (app.py): Visits and UniqueVisitors from the visits table's stream, one EMF document
per minute, instead of one EMF line per visit on the counter's path."""
