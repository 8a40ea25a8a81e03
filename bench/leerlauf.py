"""A WSGI app that only reads the request body and answers 201: what gunicorn, the kernel and the load generator
cost without Amtsfluss. `bench/intake.py` measures it in the same run, as the floor under every delivery."""


def app(environ, start_response):
    """Read the whole body, answer 201 with a small JSON body."""
    environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    body = b'{"status":"ok"}'
    start_response("201 Created", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
