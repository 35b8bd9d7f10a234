# The shared cache in front of the app (Varnish 7): it serves the public answers of the API, its schema, the widget and
# oEmbed, and the app tells it when they change (BAN, see kb/purge.py). Everything else passes through.
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

    # One stored answer per answer the app gives: what does not change it is dropped or written one way, so that
    # neither a page's frame id nor the ways a client can write its headers make a variant each (and a variant list
    # Varnish walks on every lookup); what cannot be written one way here passes, answered by the app.
    call normalise_embed_id;
    call normalise_accept_encoding;
    call normalise_accept_language;
    if (req.url ~ "^/api/") {
        call normalise_accept;
        # CORS (kb/settings.py: django-cors-headers with CORS_ALLOW_ALL_ORIGINS and no credentials) answers every
        # origin with `Access-Control-Allow-Origin: *` and a request without one with none; the API varies on Origin
        # for that difference alone. One value for all origins: should CORS ever list origins, this one, listed
        # nowhere, refuses them all rather than letting one origin's answer reach another.
        if (req.http.Origin) {
            set req.http.Origin = "https://origin.invalid";
        }
    }
    return (hash);
}

sub normalise_embed_id {
    # The loader's frame id: only the widget's script reads it, in the browser, to name its frame in the height it
    # reports, so it changes nothing the app answers (curation/api/caching.py keeps it out of its own key, and the
    # page's canonical address leaves it out). The loader puts it in the address's fragment, which reaches no server;
    # in the query (loaders kept by browsers from before, frames copied by hand) one well-formed `embed_id` is dropped
    # here, and the browser's address keeps it for the script. Anything else (a malformed one, which the app
    # refuses, or a repeated one) reaches the app as it came.
    if (req.url ~ "^/embed/v1/[^?]*\?(.*&)?embed_id=") {
        set req.http.X-Url = regsub(req.url, "([?&])embed_id=[A-Za-z0-9_-]{1,64}(&|$)", "\1");
        if (req.http.X-Url !~ "[?&]embed_id=") {
            set req.url = regsub(req.http.X-Url, "[?&]$", "");
        }
        unset req.http.X-Url;
    }
}

sub normalise_accept_encoding {
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
}

sub normalise_accept_language {
    # The language the app answers in, as Django's LocaleMiddleware chooses it from the header (the language cookie
    # passes): of the languages the client names, highest quality first (the first named among equals), the first
    # the site serves (settings.LANGUAGES: `zh…` is Simplified Chinese, `en…` English), other languages skipped, and
    # `*` or none of them the default (LANGUAGE_CODE, Simplified Chinese); a header Django cannot parse whole counts
    # for nothing. The app is then asked in `en` or with no header: two variants. tests/test_proxy.py checks this
    # against Django's own choice.
    if (!req.http.Accept-Language) {
        return;
    }
    # Django reads 500 characters at most, and takes any Unicode space for one: such headers are the app's to read.
    if (req.http.Accept-Language ~ "^.{501}" || req.http.Accept-Language ~ "[^\x20-\x7e]") {
        return (pass);
    }
    set req.http.X-Languages = std.tolower(req.http.Accept-Language);
    if (req.http.X-Languages !~ "^(([a-z]{1,8}(-[a-z0-9]{1,8})*|\*)(\s*;\s*q=(0(\.[0-9]{0,3})?|1(\.0{0,3})?))?(\s*,\s*([a-z]{1,8}(-[a-z0-9]{1,8})*|\*)(\s*;\s*q=(0(\.[0-9]{0,3})?|1(\.0{0,3})?))?)*(\s*,\s*)?)?$") {
        unset req.http.X-Languages;
        unset req.http.Accept-Language;
        return;
    }
    # Only the languages served and `*` can decide.
    set req.http.X-Languages = regsuball(regsuball(req.http.X-Languages, "\s", ""), "(^|,)(?!(zh|en)(-|;|,|$)|\*)[^,]*", "");
    set req.http.X-Language = "zh-hans";
    set req.http.X-Best-Quality = "-1";
    # VCL has no loop: eight are more than any browser sends; a header naming more passes.
    call language_range;
    call language_range;
    call language_range;
    call language_range;
    call language_range;
    call language_range;
    call language_range;
    call language_range;
    if (req.http.X-Languages ~ "[^,]") {
        unset req.http.X-Languages;
        return (pass);
    }
    if (req.http.X-Language == "en") {
        set req.http.Accept-Language = "en";
    } else {
        unset req.http.Accept-Language;
    }
    unset req.http.X-Languages;
    unset req.http.X-Language;
    unset req.http.X-Best-Quality;
    unset req.http.X-Quality;
}

sub language_range {
    # The first range left in X-Languages: it decides if its quality (1 when it gives none) beats every one before.
    if (req.http.X-Languages !~ "[^,]") {
        return;
    }
    set req.http.X-Quality = regsub(regsub(req.http.X-Languages, "^,*([^,]*).*$", "\1"), "^[^;]*(;q=)?", "");
    set req.http.X-Quality = regsub(req.http.X-Quality, "\.$", "");
    if (std.real(req.http.X-Quality, 1.0) > std.real(req.http.X-Best-Quality, -1.0)) {
        set req.http.X-Best-Quality = std.real(req.http.X-Quality, 1.0);
        if (req.http.X-Languages ~ "^,*en") {
            set req.http.X-Language = "en";
        } else {
            set req.http.X-Language = "zh-hans";
        }
    }
    set req.http.X-Languages = regsub(req.http.X-Languages, "^,*[^,]*", "");
}

sub normalise_accept {
    # DRF chooses the API's renderer by the media ranges' specificity alone, never by their order or quality, and
    # only the ranges the site answers in can be chosen (curation/api/caching.py, ANSWERED_MEDIA_RANGES, which
    # accept_key reduces the header to, for the app's own key and ETag): the header becomes those, in accept_key's
    # order, and the rest (image/webp, application/signed-exchange;v=b3, ...) is dropped. A range kept with a
    # parameter other than q (indent, which changes the answer, or one that makes it more specific), or of the form
    # */json, which DRF matches and accept_key does not know, passes; nothing the site answers in is a 406, stored by
    # no one.
    if (!req.http.Accept) {
        return;
    }
    # Spaces count around separators only ("application/ json" is no JSON).
    set req.http.X-Accept = regsuball(std.tolower(req.http.Accept), "^\s+|\s+$|\s*([,;=])\s*", "\1");
    set req.http.X-Accept = regsuball(req.http.X-Accept, ";q=[^;,]*", "");
    # Blank is not absent: DRF reads it as a range that matches nothing.
    if (req.http.X-Accept ~ "^$") {
        unset req.http.X-Accept;
        return (pass);
    }
    set req.http.X-Accept = regsuball(req.http.X-Accept, "(^|,)(?!(\*/[^;,]*|application/(\*|json|vnd\.oai\.openapi(\+json)?|yaml)|text/(\*|html))(;|,|$))[^,]*", "");
    if (req.http.X-Accept ~ ";|(^|,)\*/[^*,]") {
        unset req.http.X-Accept;
        return (pass);
    }
    set req.http.X-Ranges = "";
    if (req.http.X-Accept ~ "(^|,)\*/\*(,|$)") {
        set req.http.X-Ranges = req.http.X-Ranges + ",*/*";
    }
    if (req.http.X-Accept ~ "(^|,)application/\*(,|$)") {
        set req.http.X-Ranges = req.http.X-Ranges + ",application/*";
    }
    if (req.http.X-Accept ~ "(^|,)application/json(,|$)") {
        set req.http.X-Ranges = req.http.X-Ranges + ",application/json";
    }
    if (req.http.X-Accept ~ "(^|,)application/vnd\.oai\.openapi(,|$)") {
        set req.http.X-Ranges = req.http.X-Ranges + ",application/vnd.oai.openapi";
    }
    if (req.http.X-Accept ~ "(^|,)application/vnd\.oai\.openapi\+json(,|$)") {
        set req.http.X-Ranges = req.http.X-Ranges + ",application/vnd.oai.openapi+json";
    }
    if (req.http.X-Accept ~ "(^|,)application/yaml(,|$)") {
        set req.http.X-Ranges = req.http.X-Ranges + ",application/yaml";
    }
    if (req.http.X-Accept ~ "(^|,)text/\*(,|$)") {
        set req.http.X-Ranges = req.http.X-Ranges + ",text/*";
    }
    if (req.http.X-Accept ~ "(^|,)text/html(,|$)") {
        set req.http.X-Ranges = req.http.X-Ranges + ",text/html";
    }
    unset req.http.X-Accept;
    if (req.http.X-Ranges == "") {
        unset req.http.X-Ranges;
        return (pass);
    }
    set req.http.Accept = regsub(req.http.X-Ranges, "^,", "");
    unset req.http.X-Ranges;
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
