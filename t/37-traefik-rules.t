#!/usr/bin/perl

# Traefik conformance: requests go where Traefik would send them.  Each
# row of the table below is a set of routers (each the only router of a
# swarm service of its own name, labelled as a stack written for Traefik
# labels it) and the requests to try, with the router Traefik picks (or
# 404), taken from Traefik's own tests and documents, cited at the
# v3.7.9 tag (v1.7.34 for v1) as file:line; rows found in stacks in use
# say "use".  The table is swapped in the stand-in's swarm a row at a
# time, with no reload, as a stack being redeployed is.

use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib";
use SwarmTest;
use JSON::PP qw(decode_json encode_json);

my $t = SwarmTest->new;
my $p = free_port();
my $p2 = free_port();
my $MAX = '9223372036854774807';    # Traefik's top user priority

# { from, routers => [ [ name, rule, priority|undef, 'v1'|'v2'|undef ] ],
#   native => [ [ name, {labels} ] ], services => [ [ name, {labels} ] ]
#   (Traefik's labels as given; "%" in a label is the row's prefix),
#   routed => [ services routed, where not all ],
#   get => [ [ host, path ("METHOD path" for another method than GET),
#   want, tasks of, [ headers ] ] ] ("%" in host: the prefix of the row's
#   service names, "r7" for row 7), refused => { name => error } }

my @table = (
    { from => 'pkg/muxer/http/mux_test.go:280 (higher priority second)',
      routers => [ [ 'header1', 'PathPrefix(`/my`)', 10 ],
                   [ 'header2', 'PathPrefix(`/my`)', 20 ] ],
      get => [ [ 'a.test', '/my', 'header2' ] ] },
    { from => 'pkg/muxer/http/mux_test.go:297 (higher priority first)',
      routers => [ [ 'header1', 'PathPrefix(`/my`)', 20 ],
                   [ 'header2', 'PathPrefix(`/my`)', 10 ] ],
      get => [ [ 'a.test', '/my', 'header1' ] ] },
    { from => 'pkg/muxer/http/mux_test.go:314 (priority over a longer path)',
      routers => [ [ 'header1', 'PathPrefix(`/mypath`)', 10 ],
                   [ 'header2', 'PathPrefix(`/my`)', 20 ] ],
      get => [ [ 'a.test', '/mypath', 'header2' ] ] },
    { from => 'pkg/muxer/http/mux_test.go:331 (longest rule first)',
      routers => [ [ 'header1', 'PathPrefix(`/mypath`)' ],
                   [ 'header2', 'PathPrefix(`/my`)' ] ],
      get => [ [ 'a.test', '/mypath', 'header1' ] ] },
    { from => 'pkg/muxer/http/mux_test.go:346 (longest rule second)',
      routers => [ [ 'header1', 'PathPrefix(`/my`)' ],
                   [ 'header2', 'PathPrefix(`/mypath`)' ] ],
      get => [ [ 'a.test', '/mypath', 'header2' ] ] },
    { from => 'pkg/muxer/http/mux_test.go:361 (longest rule third)',
      routers => [ [ 'header1', 'PathPrefix(`/my`)' ],
                   [ 'header2', 'PathPrefix(`/mypa`)' ],
                   [ 'header3', 'PathPrefix(`/mypath`)' ] ],
      get => [ [ 'a.test', '/mypath', 'header3' ],
               [ 'a.test', '/mypa', 'header2' ],
               [ 'a.test', '/myp', 'header1' ],
               [ 'a.test', '/m', 404 ] ] },
    { from => 'pkg/muxer/http/mux_test.go:475 (the higher number wins)',
      routers => [ [ 'header1', 'PathPrefix(`/my`)', 20 ],
                   [ 'header2', 'PathPrefix(`/my`)', 10 ] ],
      get => [ [ 'a.test', '/my', 'header1' ] ] },
    { from => 'use: a catch-all with priority=1 is the last resort '
            . '(pkg/server/router/router.go:246)',
      routers => [ [ 'last', 'PathPrefix(`/`)', 1 ],
                   [ 'app', 'Host(`app.test`)' ] ],
      get => [ [ 'app.test', '/', 'app' ], [ 'app.test', '/x/y', 'app' ],
               [ 'other.test', '/x', 'last' ], [ 'nohost.test', '/', 'last' ] ] },
    { from => 'use: a longer host-less rule wins over a shorter Host() '
            . '(pkg/muxer/http/mux.go:216)',
      routers => [ [ 'assets', 'PathPrefix(`/static/assets`)' ],
                   [ 'app', 'Host(`app.test`)' ] ],
      get => [ [ 'app.test', '/static/assets/a.css', 'assets' ],
               [ 'app.test', '/static/a.css', 'app' ] ] },
    { from => 'use: Path(`/api`) (12 bytes) loses to PathPrefix(`/api`) (18)',
      routers => [ [ 'exact', 'Path(`/api`)' ],
                   [ 'prefix', 'PathPrefix(`/api`)' ] ],
      get => [ [ 'a.test', '/api', 'prefix' ],
               [ 'a.test', '/api/x', 'prefix' ] ] },
    { from => 'use: an || rule counts with its whole length',
      routers => [ [ 'either', 'Host(`a.test`) || Host(`b.test`)' ],
                   [ 'docs', 'PathPrefix(`/docs/v1/`)' ] ],
      get => [ [ 'b.test', '/docs/v1/x', 'either' ],
               [ 'c.test', '/docs/v1/x', 'docs' ] ] },
    { from => 'docs/content/reference/routing-configuration/http/routing/'
            . 'rules-and-priority.md:240 (priority 0 is the rule length)',
      routers => [ [ 'zero', 'PathPrefix(`/`)', 0 ],
                   [ 'host', 'Host(`abc.test`)' ] ],
      get => [ [ 'abc.test', '/a', 'host' ], [ 'a.test', '/a', 'zero' ] ] },
    { from => 'docs/content/reference/routing-configuration/http/routing/'
            . 'rules-and-priority.md:242 (negative priorities)',
      routers => [ [ 'below', 'Host(`a.test`)', -5 ],
                   [ 'all', 'PathPrefix(`/`)', 1 ] ],
      get => [ [ 'a.test', '/', 'all' ] ] },
    { from => 'docs/content/reference/routing-configuration/http/routing/'
            . 'rules-and-priority.md:247 (the top user priority; above '
            . 'it, refused: pkg/server/router/router.go:250)',
      routers => [ [ 'top', 'PathPrefix(`/`)', $MAX ],
                   [ 'big', 'Host(`a.test`)', '2000000' ],
                   [ 'over', 'PathPrefix(`/o`)', '9223372036854774808' ] ],
      refused => { over => 'router "over" not routed: invalid priority '
                           . '"9223372036854774808"' },
      get => [ [ 'a.test', '/o', 'top' ] ] },
    { from => 'same priority: the service name decides (Traefik: the '
            . 'order is not fixed, pkg/muxer/http/mux.go:216)',
      routers => [ [ 'zz', 'Host(`tie.test`)', 40 ],
                   [ 'yy', 'PathPrefix(`/tie`)', 40 ] ],
      get => [ [ 'tie.test', '/tie', 'yy' ], [ 'tie.test', '/', 'zz' ] ] },
    { from => 'v1: frontend.priority if above 0, else the rule length '
            . '(server/server_configuration.go:300, v1.7.34)',
      routers => [ [ 'v1low', 'Host:a.test', 0, 'v1' ],
                   [ 'v1neg', 'PathPrefix:/abcdef', -3, 'v1' ],
                   [ 'v1top', 'PathPrefix:/x', 50, 'v1' ] ],
      get => [ [ 'a.test', '/abcdef', 'v1neg' ],
               [ 'a.test', '/x', 'v1top' ], [ 'a.test', '/', 'v1low' ] ] },
    { from => 'use: a native route counts with the length of the rule it '
            . 'stands for, PathPrefix(`/static/assets`) here',
      routers => [ [ 'app', 'Host(`app.test`)' ] ],
      native => [ [ 'assets', { 'swarm.http.path' => '/static/assets' } ],
                  [ 'both', { 'swarm.http.host' => 'app.test',
                              'swarm.http.path' => '/api' } ] ],
      get => [ [ 'app.test', '/static/assets/x', 'assets' ],
               [ 'app.test', '/api', 'both' ],
               [ 'app.test', '/', 'app' ] ] },
    { from => 'pkg/provider/configuration.go:79 (no router: one of the '
            . 'service\'s name) and pkg/provider/docker/shared.go:27 '
            . '(its rule Host(`{{ normalize .Name }}`))',
      services => [ [ 'web_app', { 'traefik.enable' => 'true',
            'traefik.http.services.web.loadbalancer.server.port' => $p } ],
          [ 'bare', { 'traefik.enable' => 'true' } ] ],
      routed => [ 'web_app' ],
      refused => { bare => 'router "%-bare" no port: set a port label or '
                           . 'port=, not routed' },
      get => [ [ '%-web-app', '/', 'web-app' ],
               [ '%-web_app', '/', 404 ], [ '%-bare', '/', 404 ] ] },
    { from => 'pkg/provider/configuration.go:91 (a router with no rule: '
            . 'the default rule) and :114 (no service of two: dropped)',
      services => [ [ 'two', { 'traefik.enable' => 'true',
            'traefik.http.routers.norule.service' => 'a',
            'traefik.http.routers.norule.priority' => '5',
            'traefik.http.routers.nosvc.rule' => 'PathPrefix(`/`)',
            'traefik.http.services.a.loadbalancer.server.port' => $p,
            'traefik.http.services.b.loadbalancer.server.port' => $p } ] ],
      routed => [ 'two' ],
      refused => { two => 'router "nosvc" not routed: it names no service, '
                          . 'and the labels define 2' },
      get => [ [ '%-two', '/x', 'norule' ], [ 'other.test', '/', 404 ] ] },
    { from => 'pkg/provider/configuration.go:81 (no router, two services: '
            . 'no router)',
      services => [ [ 'two', { 'traefik.enable' => 'true',
            'traefik.http.services.a.loadbalancer.server.port' => $p,
            'traefik.http.services.b.loadbalancer.server.port' => $p } ],
          [ 'one', { 'traefik.enable' => 'true', 'traefik.port' => $p } ] ],
      routed => [ 'one' ],
      refused => { two => 'not routed: no router, and the labels define 2 '
                          . 'services, so no default router' },
      get => [ [ '%-two', '/', 404 ], [ '%-one', '/', 'one' ] ] },
    { from => 'pkg/provider/docker/shared_labels.go:72 (traefik.enable '
            . 'in any case of key and value, as strconv.ParseBool reads it)',
      services => [
          [ 'title', { 'traefik.Enable' => 'True',
              'traefik.http.routers.title.rule' => 'Host(`title.test`)',
              'traefik.http.services.title.loadbalancer.server.port' => $p } ],
          [ 'upper', { 'TRAEFIK.ENABLE' => 't',
              'traefik.http.routers.upper.rule' => 'Host(`upper.test`)',
              'traefik.http.services.upper.loadbalancer.server.port' => $p } ],
          [ 'off', { 'traefik.enable' => 'FALSE',
              'traefik.http.routers.off.rule' => 'Host(`off.test`)',
              'traefik.http.services.off.loadbalancer.server.port' => $p } ],
          [ 'unsaid', {
              'traefik.http.routers.unsaid.rule' => 'Host(`unsaid.test`)',
              'traefik.http.services.unsaid.loadbalancer.server.port' => $p
          } ],
          [ 'yes', { 'traefik.enable' => 'yes',
              'traefik.http.routers.yes.rule' => 'Host(`yes.test`)',
              'traefik.http.services.yes.loadbalancer.server.port' => $p } ] ],
      routed => [ 'title', 'upper' ],
      refused => { yes => 'not routed: invalid traefik.enable "yes"' },
      get => [ [ 'title.test', '/', 'title' ], [ 'upper.test', '/', 'upper' ],
               [ 'off.test', '/', 404 ], [ 'unsaid.test', '/', 404 ],
               [ 'yes.test', '/', 404 ] ] },
    { from => 'pkg/provider/docker/shared_labels.go:83 (traefik.swarm.network '
            . 'and its older name traefik.docker.network; both kinds of '
            . 'label: dropped)',
      services => [
          [ 'swarmnet', { 'traefik.enable' => 'true',
              'traefik.swarm.network' => 'front',
              'traefik.http.routers.swarmnet.rule' => 'Host(`s.test`)',
              'traefik.http.services.swarmnet.loadbalancer.server.port' => $p
          }, 'front' ],
          [ 'dockernet', { 'traefik.enable' => 'true',
              'traefik.docker.network' => 'front',
              'traefik.http.routers.dockernet.rule' => 'Host(`d.test`)',
              'traefik.http.services.dockernet.loadbalancer.server.port' => $p
          }, 'front' ],
          [ 'both', { 'traefik.enable' => 'true',
              'traefik.swarm.network' => 'front',
              'traefik.docker.lbswarm' => 'false',
              'traefik.http.routers.both.rule' => 'Host(`both.test`)',
              'traefik.http.services.both.loadbalancer.server.port' => $p
          }, 'front' ] ],
      routed => [ 'swarmnet', 'dockernet' ],
      refused => { both => 'not routed: traefik.docker.* and traefik.swarm.* '
                           . 'labels both given' },
      get => [ [ 's.test', '/', 'swarmnet' ], [ 'd.test', '/', 'dockernet' ],
               [ 'both.test', '/', 404 ] ] },
    { from => 'pkg/muxer/http/matcher_test.go:260 (a wildcard: one label '
            . 'more, Traefik 3.7) and :271 (Host(`*`): any host)',
      routers => [ [ 'wild', 'Host(`*.example.com`)' ],
                   [ 'any', 'Host(`*`)', 1 ] ],
      get => [ [ 'test.example.com', '/', 'wild' ],
               [ 'other.example.com', '/x', 'wild' ],
               [ 'example.com', '/', 'any' ],
               [ 'a.b.example.com', '/', 'any' ],
               [ 'test.otherexample.com', '/', 'any' ] ] },
    { from => 'pkg/muxer/http/mux_test.go:40 and :47 (Host IPv4 and IPv6), '
            . 'matcher_test.go:214 (a trailing dot), any ASCII name',
      routers => [ [ 'v6', 'Host(`10::10`)' ], [ 'v4', 'Host(`127.0.0.1`)' ],
                   [ 'under', 'Host(`my_app.local`)' ],
                   [ 'dot', 'Host(`example.org.`)' ] ],
      get => [ [ '[10::10]', '/foo', 'v6' ], [ '[10::10]:8080', '/', 'v6' ],
               [ '127.0.0.1', '/foo', 'v4' ], [ 'my_app.local', '/', 'under' ],
               [ 'example.org', '/', 'dot' ], [ 'example.org.', '/', 'dot' ],
               [ 'example.net', '/', 404 ] ] },
    { from => 'pkg/muxer/http/mux_test.go:683 and :688 (safe %XX decoded, '
            . 'reserved kept) and server_entrypoint_tcp_test.go:439 (.. '
            . 'cleaned)',
      routers => [ [ 'space', 'PathPrefix(`/foo bar`)' ],
                   [ 'ab', 'PathPrefix(`/a/b`)' ],
                   [ 'enc', 'Path(`/x%2Fy`)' ],
                   [ 'api', 'PathPrefix(`/api`)' ] ],
      get => [ [ 'a.test', '/foo%20bar', 'space' ],
               [ 'a.test', '/a%2Fb', 404 ], [ 'a.test', '/a/b', 'ab' ],
               [ 'a.test', '/x%2fy', 'enc' ], [ 'a.test', '/x/y', 404 ],
               [ 'a.test', '/x/../api', 'api' ],
               [ 'a.test', '/%61pi', 'api' ] ] },
    { from => 'use: two paths joined by && (both must match)',
      routers => [ [ 'v2', 'PathPrefix(`/api`) && PathPrefix(`/api/v2`)' ],
                   [ 'one', 'Path(`/one`) && PathPrefix(`/o`)' ] ],
      get => [ [ 'a.test', '/api/v2/x', 'v2' ], [ 'a.test', '/api/v1', 404 ],
               [ 'a.test', '/one', 'one' ], [ 'a.test', '/one/x', 404 ] ] },
    # the rest of the rule language: v3's matchers, "!", v2's
    # (ruleSyntax=v2) and v1's; a request's headers as the 5th of "get"
    { from => 'pkg/muxer/http/matcher_test.go:42 and :57 (ClientIP, an '
            . 'address or a network, on the peer address)',
      routers => [ [ 'me', 'ClientIP(`127.0.0.1`)' ],
                   [ 'lan', 'ClientIP(`192.168.1.0/24`)' ] ],
      get => [ [ 'a.test', '/', 'me' ] ] },
    { from => 'pkg/muxer/http/matcher_test.go:123 and :132 (Method, in '
            . 'any case; a mismatch is 404)',
      routers => [ [ 'get', 'Method(`get`)' ] ],
      get => [ [ 'a.test', '/', 'get' ], [ 'a.test', 'POST /', 404 ] ] },
    { from => 'pkg/muxer/http/matcher_test.go:351, :362 and :373 '
            . '(HostRegexp: the lower-case host without its port, searched; '
            . 'v2 braces literal in v3)',
      routers => [ [ 'com', 'HostRegexp(`^[a-zA-Z-]+\.com$`)' ],
                   [ 'upper', 'HostRegexp(`^[A-Z]+\.org$`)' ],
                   [ 'v2form', 'HostRegexp(`{domain:[a-z]+\.net}`)' ] ],
      get => [ [ 'example.com', '/', 'com' ],
               [ 'example.com:8080', '/path', 'com' ],
               [ 'sub.example.com', '/', 404 ], [ 'EXAMPLE.org', '/', 404 ],
               [ 'example.net', '/', 404 ] ] },
    { from => 'pkg/muxer/http/matcher_test.go:519 and :535 (PathRegexp on '
            . 'the routing path)',
      routers => [ [ 'assets', 'PathRegexp(`^/(css|js)`)' ],
                   [ 'braces', 'PathRegexp(`/{path:(img|svg)}`)' ] ],
      get => [ [ 'a.test', '/css/main.css', 'assets' ],
               [ 'a.test', '/js', 'assets' ], [ 'a.test', '/CSS', 404 ],
               [ 'a.test', '/html', 404 ],
               [ 'a.test', '/{path:img}/', 'braces' ],
               [ 'a.test', '/%7Bpath:svg%7D', 'braces' ] ] },
    { from => 'pkg/muxer/http/matcher_test.go:691, :702 and :783 (Header, '
            . 'HeaderRegexp: any line of the header, its name in any case)',
      routers => [ [ 'prod', 'Header(`x-env`, `prod`)' ],
                   [ 'stage', 'HeaderRegexp(`X-Env`, `^stag(e|ing)$`)' ] ],
      get => [ [ 'a.test', '/', 'prod', undef, [ 'X-Env: prod' ] ],
               [ 'a.test', '/', 'stage', undef, [ 'x-env: staging' ] ],
               [ 'a.test', '/', 'prod',
                 undef, [ 'X-Env: dev', 'X-Env: prod' ] ],
               [ 'a.test', '/', 404, undef, [ 'X-Env: production' ] ],
               [ 'a.test', '/', 404 ] ] },
    { from => 'pkg/middlewares/forwardedheaders/forwarded_header.go:138 '
            . '(rules see Traefik\'s own X-Forwarded-* and X-Real-Ip, and '
            . 'not the headers named in Connection)',
      routers => [ [ 'https', 'Header(`X-Forwarded-Proto`, `https`)' ],
                   [ 'http', 'Header(`X-Forwarded-Proto`, `http`)' ],
                   [ 'real', 'Header(`X-Real-Ip`, `127.0.0.1`) && '
                             . 'Host(`real.test`)' ],
                   [ 'hop', 'Header(`X-Hop`, `1`)', 100 ] ],
      get => [ [ 'a.test', '/', 'http', undef,
                 [ 'X-Forwarded-Proto: https' ] ],
               [ 'real.test', '/', 'real', undef, [ 'X-Real-Ip: 10.1.1.1' ] ],
               [ 'b.test', '/', 'hop', undef, [ 'X-Hop: 1' ] ],
               [ 'b.test', '/', 'http', undef,
                 [ 'X-Hop: 1', 'Connection: X-Hop' ] ] ] },
    { from => 'pkg/muxer/http/matcher_test.go:887, :903 and :1012 (Query, '
            . 'QueryRegexp: any value of the key, decoded; no value: "")',
      routers => [ [ 'q', 'Query(`q`, `traefik`)' ],
                   [ 'mobile', 'Query(`mobile`)' ],
                   [ 're', 'QueryRegexp(`r`, `^(traefik|nginx)$`)' ] ],
      get => [ [ 'a.test', '/?q=traefik', 'q' ],
               [ 'a.test', '/?rel=ddg&q=traefik', 'q' ],
               [ 'a.test', '/?q=awesome;q=traefik', 'q' ],
               [ 'a.test', '/?q=tr%61efik', 'q' ],
               [ 'a.test', '/?Q=traefik', 404 ],
               [ 'a.test', '/?mobile', 'mobile' ],
               [ 'a.test', '/?mobile=true', 404 ],
               [ 'a.test', '/?r=nginx&r=x', 're' ],
               [ 'a.test', '/?r=NGINX', 404 ], [ 'a.test', '/', 404 ] ] },
    { from => 'pkg/muxer/http/mux_test.go:148 to :219 (rules with "!")',
      routers => [ [ 'notcom', '!Host("example.com") && Pathprefix("/css")' ],
                   [ 'either', '!(Host("example.com") && !Path("/js"))',
                     1 ] ],
      get => [ [ 'example.org', '/css', 'notcom' ],
               [ 'example.org', '/js', 'either' ],
               [ 'example.com', '/js', 'either' ],
               [ 'example.com', '/css', 404 ],
               [ 'example.com', '/html', 404 ] ] },
    { from => 'pkg/muxer/http/matcher_v2_test.go:38, :122, :346, :369 and '
            . ':462 (ruleSyntax=v2: several values, gorilla/mux templates)',
      routers => [ [ 'cip', 'ClientIP(`10.0.0.1`, `127.0.0.0/8`) && '
                            . 'Method(`PUT`, `get`)', 1, 'v2' ],
                   [ 'hosts', 'HostRegexp(`example.com`, `example.org`)',
                     undef, 'v2' ],
                   [ 'tpl', 'HostRegexp(`{domain:[a-z-]+\.net}`)', undef,
                     'v2' ],
                   [ 'path', 'Path(`/css{path:(/.*)?}`)', 100, 'v2' ],
                   [ 'hdrs', 'Headers(`X-A`, `1`) && Query(`k=v`) && '
                             . 'Host(`h.test`)', undef, 'v2' ] ],
      get => [ [ 'example.org', '/', 'hosts' ],
               [ 'EXAMPLE.com:8080', '/', 'hosts' ],
               [ 'my-site.net', '/', 'tpl' ], [ 'a.b.net', '/', 'cip' ],
               [ 'a.test', 'POST /', 404 ],
               [ 'a.test', '/css/main.css', 'path' ],
               [ 'a.test', '/css.css', 'cip' ],
               [ 'h.test', '/?k=v&k=w', 'hdrs', undef, [ 'X-A: 1' ] ],
               [ 'h.test', '/?k=w&k=v', 'cip', undef, [ 'X-A: 1' ] ] ] },
    { from => 'v1.7.34 rules/rules.go:220 (v1: HostRegexp, Method, '
            . 'Headers, Query)',
      routers => [ [ 'v1', 'HostRegexp:{s:[a-z]+}.v1.test;Method:GET,PUT;'
                           . 'Headers:X-A,1;Query:k=v', undef, 'v1' ] ],
      get => [ [ 'abc.v1.test', '/?k=v', 'v1', undef, [ 'X-A: 1' ] ],
               [ 'abc.v1.test', '/?k=v', 404 ],
               [ 'a.b.v1.test', '/?k=v', 404, undef, [ 'X-A: 1' ] ] ] },
    { from => 'pkg/muxer/http/matcher_test.go:509 (what Go\'s RE2 refuses, '
            . 'or the rule\'s syntax has not, is refused)',
      routers => [ [ 'backref', 'PathRegexp(`^/(a)\1`)' ],
                   [ 'unclosed', 'PathRegexp(`/(css`)' ],
                   [ 'v2only', 'Headers(`X`, `1`)' ],
                   [ 'ok', 'Path(`/ok`)' ] ],
      # pkg/muxer/http/parser.go:60: v2 only where ruleSyntax is "v2"
      services => [ [ 'upper', { 'traefik.enable' => 'true',
          'traefik.http.routers.upper.rule' => 'Headers(`X`, `1`)',
          'traefik.http.routers.upper.ruleSyntax' => 'V2',
          'traefik.http.services.upper.loadbalancer.server.port' => $p } ] ],
      routed => [ 'ok' ],
      refused => {
          backref => 'router "backref" not routed: PathRegexp: regular '
                     . 'expression "^/(a)\1" has a backreference, which '
                     . 'Go\'s RE2 refuses',
          v2only => 'router "v2only" not routed: matcher "Headers" is '
                    . 'Traefik v2\'s, not v3\'s (ruleSyntax=v2)',
          upper => 'router "upper" not routed: matcher "Headers" is '
                   . 'Traefik v2\'s, not v3\'s (ruleSyntax=v2)' },
      get => [ [ 'a.test', '/ok', 'ok' ], [ 'a.test', '/css', 404 ] ] },
    { from => 'pkg/provider/merge.go:64 (the labels of all services merged: '
            . 'a router may name a service of another swarm service\'s '
            . 'labels; one router name defined differently by two is '
            . 'dropped from both)',
      services => [
          [ 'api', { 'traefik.enable' => 'true',
              'traefik.http.routers.api.rule' => 'Host(`api.test`)',
              'traefik.http.services.apisvc.loadbalancer.server.port' => $p
          } ],
          [ 'front', { 'traefik.enable' => 'true',
              'traefik.http.routers.front.rule' => 'Host(`front.test`)',
              'traefik.http.routers.front.service' => 'apisvc@swarm' } ],
          [ 'lost', { 'traefik.enable' => 'true',
              'traefik.http.routers.lost.rule' => 'Host(`lost.test`)',
              'traefik.http.routers.lost.service' => 'nowhere@docker' } ],
          [ 'c1', { 'traefik.enable' => 'true',
              'traefik.http.routers.dup.rule' => 'Host(`c1.test`)',
              'traefik.http.services.c1.loadbalancer.server.port' => $p } ],
          [ 'c2', { 'traefik.enable' => 'true',
              'traefik.http.routers.dup.rule' => 'Host(`c2.test`)',
              'traefik.http.services.c2.loadbalancer.server.port' => $p } ] ],
      routed => [ 'api', 'front' ],
      refused => {
          lost => 'router "lost" not routed: service "nowhere" is defined '
                  . 'by no service\'s labels',
          c1 => 'router "dup" not routed: service "%-c2" defines it too, '
                . 'differently',
          c2 => 'router "dup" not routed: service "%-c1" defines it too, '
                . 'differently' },
      get => [ [ 'api.test', '/', 'api', 'api' ],
               [ 'front.test', '/', 'front', 'api' ],
               [ 'lost.test', '/', 404 ], [ 'c1.test', '/', 404 ],
               [ 'c2.test', '/', 404 ] ] },
    { from => 'pkg/provider/docker/pswarm.go:200 and :238 (lbswarm: the '
            . 'service\'s virtual IP, not its tasks; none in dnsrr mode)',
      services => [
          [ 'vip', { 'traefik.enable' => 'true',
              'traefik.swarm.lbswarm' => 'true',
              'traefik.http.routers.vip.rule' => 'Host(`vip.test`)',
              'traefik.http.services.vip.loadbalancer.server.port' => $p,
              'traefik.http.services.vip.loadbalancer.sticky.cookie' => 'true'
          } ],
          [ 'rr', { 'traefik.enable' => 'true',
              'traefik.docker.lbswarm' => 'true',
              'traefik.http.routers.rr.rule' => 'Host(`rr.test`)',
              'traefik.http.services.rr.loadbalancer.server.port' => $p } ] ],
      routed => [ 'vip' ],
      refused => { rr => 'router "rr" not routed: traefik.swarm.lbswarm, '
                         . 'and the service has no virtual IP (endpoint mode '
                         . 'dnsrr)' },
      get => [ [ 'vip.test', '/', 'vip', 'vip VIP' ],
               [ 'rr.test', '/', 404 ] ] },
);

$t->start_backends(map { "127.0.37.$_:$p" } 1 .. 8, 99);
$t->start_api(services => [], tasks => []);

$t->conf(<<"EOC");
    swarm_endpoint %%ENDPOINT%%;
    swarm_interval 200ms;

    upstream tk {
        swarm_routes traefik;
        swarm_routes label=swarm.enable=true port=$p;
    }

    # providers.swarm.defaultRule, as a stack's Traefik may set it
    upstream dr {
        swarm_routes traefik
            "default_rule=Host(`{{ .Name }}.{{ index .Labels `domain` }}`)";
    }

    server {
        listen 127.0.0.1:$p2;
        location / {
            swarm_route dr;
            proxy_pass http://dr;
            add_header X-Route \$swarm_route always;
        }
    }

    server {
        listen 127.0.0.1:%%PORT%%;
        location / {
            swarm_route tk;
            proxy_pass http://tk;
            add_header X-Route \$swarm_route always;
        }
        location = /swarm { swarm_status; }
    }
EOC
$t->start_nginx;

# a row's services, a task each, as the stand-in's whole swarm

my %task_of;    # a backend's address: the service whose task it is

sub row_state {
    my ($row, $i) = @_;
    %task_of = ();
    my (@services, @tasks);
    my $n = 0;
    my $add = sub {
        my ($name, $labels, $net) = @_;
        $n++;
        my $s = fake_service($n, "r$i-$name", $labels);
        push @services, $s;
        my $k = fake_task($s, sprintf 'tsk%022d', $n);
        my $at = $k->{NetworksAttachments};
        $at->[0]{Addresses} = [ "10.0.37.$n/24" ];
        $task_of{"127.0.37.$n:$p"} = $name;

        # its virtual IP on the task's network; none in dnsrr mode
        my ($lbswarm) = grep { /lbswarm$/ } keys %$labels;
        if ($lbswarm && $name eq 'rr') {
            $s->{Endpoint} = { Spec => { Mode => 'dnsrr' } };
        } elsif ($lbswarm) {
            # the stand-in serves services as they are: a loopback VIP
            $s->{Endpoint}{VirtualIPs} = [ { Addr => '127.0.37.99/24',
                NetworkID => $at->[0]{Network}{ID} } ];
            $task_of{"127.0.37.99:$p"} = "$name VIP";
        }
        if ($net) {
            # a second network, the first of the task's: no backend there
            my $first = decode_json(encode_json($at->[0]));
            $first->{Addresses} = [ "10.0.99.$n/24" ];
            $at->[0]{Network}{ID} = "${net}id";
            $at->[0]{Network}{Spec}{Name} = $net;
            unshift @$at, $first;
        }
        push @tasks, $k;
    };
    for (@{ $row->{routers} || [] }) {
        my ($name, $rule, $prio, $syntax) = @$_;
        my $v1 = ($syntax // '') eq 'v1';
        my %l = ('traefik.enable' => 'true');
        $l{"traefik.http.routers.$name.ruleSyntax"} = $syntax
            if ($syntax // '') eq 'v2';
        if ($v1) {
            %l = (%l, 'traefik.frontend.rule' => $rule,
                'traefik.port' => "$p");
            $l{'traefik.frontend.priority'} = "$prio" if defined $prio;
        } else {
            %l = (%l, "traefik.http.routers.$name.rule" => $rule,
                "traefik.http.services.$name.loadbalancer.server.port"
                    => "$p");
            $l{"traefik.http.routers.$name.priority"} = "$prio"
                if defined $prio;
        }
        $add->($name, \%l);
    }
    for (@{ $row->{native} || [] }) {
        my ($name, $labels) = @$_;
        $add->($name, { 'swarm.enable' => 'true', %$labels });
    }
    for (@{ $row->{services} || [] }) {
        my ($name, $labels, $net) = @$_;
        $add->($name, { map { ($_ => "$labels->{$_}" =~ s/%/r$i/gr) }
            keys %$labels }, $net);
    }
    return { services => \@services, tasks => \@tasks };
}

sub routes {
    my $s = $t->status('?peers=off') or return {};
    return $s->{upstreams}{tk} || {};
}

sub route_of {
    my ($host, $path, $tasks, $headers) = @_;
    my $r = http_get($t->port, $path, "Host: $host", @{ $headers || [] });
    return $r->{status} unless $r->{status} == 200;
    my $route = $r->{header}{'x-route'} // '';
    $route =~ s{^[^/]+/}{};    # service/router: the router
    $route =~ s{^r\d+-}{};     # a native route: its service
    (my $addr = $r->{body}) =~ s/\s+$//;
    $$tasks = $task_of{$addr} // "unknown $addr" if $tasks;
    return $route;
}

for my $i (0 .. $#table) {
    my $row = $table[$i];
    my $want = join ',', sort map { "r$i-$_" } $row->{routed}
        ? @{ $row->{routed} }
        : grep { !exists $row->{refused}{$_} }
        (map { $_->[0] } @{ $row->{routers} || [] }),
        (map { $_->[0] } @{ $row->{native} || [] }),
        (map { $_->[0] } @{ $row->{services} || [] });

    $t->state(row_state($row, $i));

    my $seen = wait_for(sub {
        my $have = join ',', sort map { $_->{service} }
            @{ routes()->{routes} || [] };
        return $have eq $want;
    }, 10);
    ok($seen, "$row->{from}: routed")
        or diag explain routes()->{routes};

    for my $name (sort keys %{ $row->{refused} || {} }) {
        my @errors = map { "$_->{service}: $_->{error}" }
            @{ routes()->{route_errors} || [] };
        my $error = $row->{refused}{$name} =~ s/%/r$i/gr;
        ok((grep { $_ eq "r$i-$name: $error" } @errors),
            "$row->{from}: $name refused") or diag explain \@errors;
    }

    for (@{ $row->{get} }) {
        my ($host, $path, $expect, $of, $headers) = @$_;
        $host =~ s/%/r$i/;
        my $tasks;
        my $with = $headers ? ' with ' . join('; ', @$headers) : '';
        is(route_of($host, $path, \$tasks, $headers), $expect,
            "$row->{from}: $host$path$with goes to $expect");
        is($tasks, $of, "$row->{from}: $host$path, to the tasks of $of")
            if $of;
    }
}

# the last row's lbswarm route: one peer, the virtual IP, and no cookie

my ($vip) = @{ routes()->{routes} || [] };
is($vip->{sticky}, undef, 'lbswarm: not sticky, as in Traefik');
is($vip->{active}, 1, 'lbswarm: one peer');
is(scalar @{ http_get($t->port, '/', 'Host: vip.test')->{cookies} || [] }, 0,
    'lbswarm: no Set-Cookie');

# the status says each route's priority and where it came from

$t->state(row_state($table[7], 'status'));
wait_for(sub { (routes()->{routes} || [ {} ])->[0]{service} =~ /^rstatus-/ },
    10);
my %r = map { ($_->{service} =~ s/^rstatus-//r => $_) }
    @{ routes()->{routes} };
is($r{app}{priority}, length('Host(`app.test`)'), 'status: the rule length');
is($r{app}{priority_from}, 'rule length', 'status: where it came from');
is($r{last}{priority}, 1, 'status: the label\'s priority');
is($r{last}{priority_from}, 'label', 'status: from the label');

# default_rule=: the template of the upstream's swarm_routes

$t->state({ %{ row_state({ services => [ [ 'web_app',
    { 'traefik.enable' => 'true', 'domain' => 'example.com',
      'traefik.http.services.web.loadbalancer.server.port' => $p } ] ] },
    'dr') } });
ok(wait_for(sub { (routes()->{routes} || [ {} ])->[0]{service}
    && (routes()->{routes} || [ {} ])->[0]{service} eq 'rdr-web_app' }, 10),
    'default_rule=: routed');
my $r = http_get($p2, '/', 'Host: rdr-web-app.example.com');
is($r->{header}{'x-route'} // $r->{status}, 'rdr-web_app/rdr-web-app',
    'default_rule=: the template\'s host');
is(http_get($p2, '/', 'Host: rdr-web-app')->{status}, 404,
    'default_rule=: not the default');
is(route_of('rdr-web-app', '/'), 'rdr-web-app',
    'the other upstream: the default');

$t->done_testing;
