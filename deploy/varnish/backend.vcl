# The app behind the cache, and who may purge it: what default.vcl includes, for docker-compose.yml (the service
# `app` on port 8000). `make stack` and the tests write their own (scripts/servers.py, start_varnish).

backend app {
    .host = "app";
    .port = "8000";
    .connect_timeout = 1s;
    .first_byte_timeout = 60s;
}

# The app and the scheduler publish, and tell the cache. Names are resolved when the configuration is loaded (a name
# in parentheses that does not resolve is left out): after recreating those containers, restart the cache too.
acl purgers {
    "localhost";
    ("app");
    ("scheduler");
}
