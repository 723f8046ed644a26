"""Server-rendered pages over the services the API uses: Jinja templates, one stylesheet, htmx."""
