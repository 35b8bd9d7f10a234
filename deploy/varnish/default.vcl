# The shared cache in front of the app (Varnish 7): it serves the public answers of the API, its schema, the widget and
# oEmbed, and the app tells it when they change (BAN, see curation/purge.py). Everything else passes through.
#
# varnishd must run with `-p http_gzip_support=off`: the app compresses its answers itself (brotli and gzip, each with
# its own ETag, kb/api/encoding.py), so Varnish keeps each coding as its own variant instead of asking for gzip and
# unzipping it for the others.
#
# The app's address (`backend app`) and who may purge (`acl purgers`) are deployment details: backend.vcl, found on
# vcl_path (docker-compose.yml mounts deploy/varnish/backend.vcl beside this file; `make stack` and the tests write
# their own first on vcl_path).

vcl 4.1;

import std;

include "backend.vcl";

sub vcl_recv {
    # Invalidation, from the app's addresses only. BAN drops every stored answer whose address matches the
    # X-Ban-Url regular expression (every public answer without one): bans on obj.* alone, so the ban lurker clears
    # them in the background, and a lookup never serves a banned object meanwhile. PURGE drops one address, every
    # variant of it.
    if (req.method == "BAN" || req.method == "PURGE") {
        if (client.ip !~ purgers) {
            return (synth(403, "Forbidden"));
        }
        if (req.method == "PURGE") {
            return (purge);
        }
        if (req.http.X-Ban-Url) {
            ban("obj.http.x-url ~ " + req.http.X-Ban-Url);
        } else {
            ban("obj.http.x-url ~ ^/");
        }
        return (synth(200, "Banned"));
    }

    # Varnish has appended the client's address to X-Forwarded-For: the app (DJANGO_NUM_PROXIES=1) reads the last
    # entry, so a client cannot pick its own throttle or sign-in bucket by sending the header.

    # Request bodies (writes, the admin's uploads) are read whole before the app sees them, so a client sending its
    # body slowly holds a Varnish thread, not a gunicorn one. The admin's import takes up to 5 MiB (IMPORT_MAX_BYTES).
    if (req.http.Content-Length || req.http.Transfer-Encoding) {
        if (!std.cache_req_body(8MB)) {
            return (synth(413, "Payload Too Large"));
        }
    }

    # Only the public answers are cached: the API, its schema, the widget and oEmbed (curation/api/caching.py,
    # CACHED_PREFIXES). The admin, the probes and the static files pass.
    if (req.url !~ "^/(api/v1/|api/schema/|embed/v1/|oembed)") {
        return (pass);
    }
    # Never a write, never staff: a token may read drafts, and the admin's session and CSRF cookies (or a chosen
    # language) make the answer someone's own.
    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    if (req.http.Authorization) {
        return (pass);
    }
    if (req.http.Cookie ~ "(^|;)\s*(sessionid|csrftoken|django_language)=") {
        return (pass);
    }
    # The app reads no other cookie on these addresses (analytics of the embedding portal, ...).
    unset req.http.Cookie;

    # The app answers in the coding it prefers among those the client takes (brotli when it takes brotli and gzip
    # alike, kb/api/encoding.py) and varies on Accept-Encoding; reduced to the codings the app knows, in its order,
    # the header keeps at most four variants of an answer instead of one per way of writing it. A coding refused
    # with q=0 is not taken.
    if (req.http.Accept-Encoding) {
        set req.http.X-Codings = regsuball(req.http.Accept-Encoding, "(?i)[a-z0-9*-]+\s*;\s*q\s*=\s*0(\.0*)?\s*(,|$)", "");
        if (req.http.X-Codings ~ "(?i)(^|[\s,])(br|\*)\s*(;|,|$)") {
            if (req.http.X-Codings ~ "(?i)(^|[\s,])(x-)?gzip\s*(;|,|$)") {
                set req.http.Accept-Encoding = "br, gzip";
            } else {
                set req.http.Accept-Encoding = "br";
            }
        } elsif (req.http.X-Codings ~ "(?i)(^|[\s,])(x-)?gzip\s*(;|,|$)") {
            set req.http.Accept-Encoding = "gzip";
        } else {
            unset req.http.Accept-Encoding;
        }
        unset req.http.X-Codings;
    }
    return (hash);
}

sub vcl_backend_response {
    # For bans by address (the ban lurker sees only the object); removed again before delivery.
    set beresp.http.x-url = bereq.url;

    if (bereq.uncacheable) {
        return (deliver);
    }
    # A background refresh that failed keeps the stale answer (stale-if-error): the next one tries again.
    if (beresp.status >= 500 && bereq.is_bgfetch) {
        return (abandon);
    }
    # What the app marks public, and nothing else: answers to a token are private, writes, refusals, 429s and 5xx
    # no-store (CacheControlMiddleware). A miss that is not cacheable is remembered for a while, so that requests for
    # it are not queued behind each other.
    if (beresp.http.Cache-Control !~ "(?i)(^|,)\s*public\s*(,|$)"
        || beresp.http.Cache-Control ~ "(?i)(private|no-store)"
        || beresp.http.Set-Cookie
        || beresp.http.Vary == "*") {
        set beresp.uncacheable = true;
        set beresp.ttl = 120s;
        return (deliver);
    }
    # The widget's pages and oEmbed are `public, no-cache`: browsers revalidate them on every load. The proxy is
    # told of every publish, so it keeps them as long as the API's answers (API_CACHE_MAX_AGE's default), and the
    # browsers' revalidations are answered here (304 on a matching ETag).
    if (beresp.http.Cache-Control ~ "(?i)no-cache") {
        set beresp.ttl = 300s;
        set beresp.grace = 0s;
    }
    # Otherwise max-age is the time to live and stale-while-revalidate the grace (Varnish reads both).
    return (deliver);
}

sub vcl_deliver {
    unset resp.http.x-url;
    # Where the answer came from, for the tests and for whoever reads the headers; Age says how long it was kept.
    if (obj.uncacheable) {
        set resp.http.X-Cache = "PASS";
    } elsif (obj.hits > 0) {
        set resp.http.X-Cache = "HIT";
    } else {
        set resp.http.X-Cache = "MISS";
    }
}
