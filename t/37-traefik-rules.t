#!/usr/bin/perl

# Traefik conformance: requests go where Traefik would send them.  Each
# row of the table below is a set of routers (each the only router of a
# swarm service of its own name, labelled as a stack written for Traefik
# labels it) and the requests to try, with the router Traefik picks (or
# 404), taken from Traefik's own tests and documents, cited at the
# v3.7.9 tag (v1.7.34 for v1) as file:line; rows the issue tracker found
# (#21) say so.  The table is swapped in the stand-in's swarm a row at a
# time, with no reload, as a stack being redeployed is.

use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib";
use SwarmTest;

my $t = SwarmTest->new;
my $p = free_port();
my $MAX = '9223372036854774807';    # Traefik's top user priority

# { from, routers => [ [ name, rule, priority|undef, {labels} ] ],
#   native => [ [ name, {labels} ] ], get => [ [ host, path, want ] ],
#   refused => { name => error } }

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
    { from => '#21: a catch-all with priority=1 is the last resort '
            . '(pkg/server/router/router.go:246)',
      routers => [ [ 'last', 'PathPrefix(`/`)', 1 ],
                   [ 'app', 'Host(`app.test`)' ] ],
      get => [ [ 'app.test', '/', 'app' ], [ 'app.test', '/x/y', 'app' ],
               [ 'other.test', '/x', 'last' ], [ 'nohost.test', '/', 'last' ] ] },
    { from => '#21: a longer host-less rule wins over a shorter Host() '
            . '(pkg/muxer/http/mux.go:216)',
      routers => [ [ 'assets', 'PathPrefix(`/static/assets`)' ],
                   [ 'app', 'Host(`app.test`)' ] ],
      get => [ [ 'app.test', '/static/assets/a.css', 'assets' ],
               [ 'app.test', '/static/a.css', 'app' ] ] },
    { from => '#21: Path(`/api`) (12 bytes) loses to PathPrefix(`/api`) (18)',
      routers => [ [ 'exact', 'Path(`/api`)' ],
                   [ 'prefix', 'PathPrefix(`/api`)' ] ],
      get => [ [ 'a.test', '/api', 'prefix' ],
               [ 'a.test', '/api/x', 'prefix' ] ] },
    { from => '#21: an || rule counts with its whole length',
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
    { from => '#21: a native route counts with the length of the rule it '
            . 'stands for, PathPrefix(`/static/assets`) here',
      routers => [ [ 'app', 'Host(`app.test`)' ] ],
      native => [ [ 'assets', { 'swarm.http.path' => '/static/assets' } ],
                  [ 'both', { 'swarm.http.host' => 'app.test',
                              'swarm.http.path' => '/api' } ] ],
      get => [ [ 'app.test', '/static/assets/x', 'assets' ],
               [ 'app.test', '/api', 'both' ],
               [ 'app.test', '/', 'app' ] ] },
);

$t->start_backends(map { "127.0.37.$_:$p" } 1 .. 8);
$t->start_api(services => [], tasks => []);

$t->conf(<<"EOC");
    swarm_endpoint %%ENDPOINT%%;
    swarm_interval 200ms;

    upstream tk {
        swarm_routes traefik;
        swarm_routes label=swarm.enable=true port=$p;
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

sub row_state {
    my ($row, $i) = @_;
    my (@services, @tasks);
    my $n = 0;
    my $add = sub {
        my ($name, $labels) = @_;
        $n++;
        my $s = fake_service($n, "r$i-$name", $labels);
        push @services, $s;
        my $k = fake_task($s, sprintf 'tsk%022d', $n);
        $k->{NetworksAttachments}[0]{Addresses} = [ "10.0.37.$n/24" ];
        push @tasks, $k;
    };
    for (@{ $row->{routers} || [] }) {
        my ($name, $rule, $prio, $v1) = @$_;
        my %l = ('traefik.enable' => 'true');
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
    return { services => \@services, tasks => \@tasks };
}

sub routes {
    my $s = $t->status('?peers=off') or return {};
    return $s->{upstreams}{tk} || {};
}

sub route_of {
    my ($host, $path) = @_;
    my $r = http_get($t->port, $path, "Host: $host");
    return $r->{status} unless $r->{status} == 200;
    my $route = $r->{header}{'x-route'} // '';
    $route =~ s{^[^/]+/}{};    # service/router: the router
    $route =~ s{^r\d+-}{};     # a native route: its service
    return $route;
}

for my $i (0 .. $#table) {
    my $row = $table[$i];
    my $want = join ',', sort map { "r$i-$_" }
        grep { !exists $row->{refused}{$_} }
        (map { $_->[0] } @{ $row->{routers} || [] }),
        (map { $_->[0] } @{ $row->{native} || [] });

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
        ok((grep { $_ eq "r$i-$name: $row->{refused}{$name}" } @errors),
            "$row->{from}: $name refused") or diag explain \@errors;
    }

    for (@{ $row->{get} }) {
        my ($host, $path, $expect) = @$_;
        is(route_of($host, $path), $expect,
            "$row->{from}: $host$path goes to $expect");
    }
}

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

$t->done_testing;
