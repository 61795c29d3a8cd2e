"""The visit metrics Lambda (app.py): Visits and UniqueVisitors from the visits table's stream, one EMF document
per 5-minute bucket, instead of one EMF line per visit on the counter's path."""
