# The bot's image: `docker build -t incident-bot .` then see README.md, "Production".
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORT=3000 \
    DATABASE_URL=sqlite:////data/incidents.db

# The README's production install, from a copy of the checkout (.dockerignore keeps the
# tests, the venv and local databases out), which is removed afterwards.
WORKDIR /src
COPY . .
RUN pip install . && rm -rf /src

# Never root: the bot needs no privilege, and /data (SQLite's default home) is its own.
RUN useradd --system --uid 10001 --create-home --home-dir /home/bot bot \
    && mkdir /data && chown bot:bot /data
USER bot
WORKDIR /home/bot
VOLUME ["/data"]

EXPOSE 3000
# /healthz answers 200 while the bot serves (slim has no curl: Python's urllib asks).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '3000'), timeout=4)"

# Runs the bot (it migrates at startup unless AUTO_MIGRATE=false); `incident-bot migrate`,
# `incident-bot --version` and the other subcommands run with `docker run … incident-bot …`.
CMD ["incident-bot"]
