"""Small functions returning components, grouped by what they show. No I/O here."""
