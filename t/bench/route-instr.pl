#!/usr/bin/perl

# Instructions per request through swarm_route, counted by callgrind:
# one nginx process (master_process off) under valgrind, one Traefik
# router (Host && PathPrefix, a sticky cookie) with one task on a
# loopback backend, a returning visitor's requests on one keep-alive
# connection.  After a warm-up the counters are zeroed
# (callgrind_control -z), a fixed number of requests is sent, and the
# counts are dumped (callgrind_control -d): their sum over the number
# of requests is the figure, the same from one run to the next within
# a few hundred instructions, where requests per second are not.
#
#   perl t/bench/route-instr.pl MODULE.so [MODULE.so ...]
#
# compares modules (say, one built from an earlier commit) side by side,
# each with these stacks: the one router alone; beside 1,000 routers of
# other hosts; beside 20 HostRegexp routers that come first (a longer
# rule) and match no request of it, so that each request runs their 20
# expressions before it reaches its own router; and the one router with
# a middleware of each kind: headers (a custom request and response
# header, frameDeny), basicauth (an apr1 hash, the right password),
# stripprefix, ipallowlist, ratelimit and inflightreq (never reached),
# retry, buffering, compress (each answer gzipped), forwardauth (a call
# to the backend's forward-auth stand-in, which says yes), errors (no
# answer of its statuses), and
# redirectscheme, which answers every request itself (301, no task).  A
# module without middlewares shows those stacks as "-".
# Environment: BENCH_REQUESTS (3000), NGINX_BIN (/usr/sbin/nginx),
# BENCH_STACKS (a regular expression: only the stacks it matches).

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use SwarmTest;
use JSON::PP qw(encode_json);
use IO::Socket::INET;
use File::Temp qw(tempdir);
use Time::HiRes qw(sleep);

my $n = $ENV{BENCH_REQUESTS} || 3000;
my $nginx = $ENV{NGINX_BIN} || '/usr/sbin/nginx';
my $T = "$FindBin::Bin/..";

@ARGV or die "usage: $0 MODULE.so [MODULE.so ...]\n";

my $mw = 'traefik.http.middlewares';
my $apr1 = 'bob:$apr1$xMPIzGFl$WlzdAD7qlro9pzSqiILy0.';

# [ name, other routers, the app router's middleware labels, a request
#   header, the status each request gets ]
my @stacks = (
    [ 'one router', sub { () } ],
    [ '+ 1,000 host routers', sub {
        map { [ "h$_", "Host(`h$_.example.test`)" ] } 1 .. 1000 } ],
    [ '+ 20 HostRegexp routers', sub {
        map { [ "re$_",
                "HostRegexp(`^svc$_\\.(example|internal)\\.test\$`)" ] }
            1 .. 20 } ],
    [ 'middleware headers', sub { () }, {
        "$mw.m.headers.customRequestHeaders.X-A" => '1',
        "$mw.m.headers.customResponseHeaders.X-B" => '2',
        "$mw.m.headers.frameDeny" => 'true' } ],
    [ 'middleware basicauth', sub { () }, {
        "$mw.m.basicauth.users" => $apr1 },
        'Authorization: Basic Ym9iOmJ1aWxkZXI=' ],
    [ 'middleware stripprefix', sub { () }, {
        "$mw.m.stripprefix.prefixes" => '/x' } ],
    [ 'middleware ipallowlist', sub { () }, {
        "$mw.m.ipallowlist.sourcerange" => '127.0.0.0/8' } ],
    [ 'middleware ratelimit', sub { () }, {
        "$mw.m.ratelimit.average" => '1000000' } ],
    [ 'middleware inflightreq', sub { () }, {
        "$mw.m.inflightreq.amount" => '100' } ],
    [ 'middleware retry', sub { () }, {
        "$mw.m.retry.attempts" => '2' } ],
    [ 'middleware buffering', sub { () }, {
        "$mw.m.buffering.maxRequestBodyBytes" => '1000' } ],
    [ 'middleware compress', sub { () }, {
        "$mw.m.compress.minResponseBodyBytes" => '1' },
        'Accept-Encoding: gzip' ],
    [ 'middleware forwardauth', sub { () }, {
        "$mw.m.forwardauth.address" => 'http://127.0.77.1:PORT/auth/x' },
        'Authorization: Bearer good' ],
    [ 'middleware errors', sub { () }, {
        "$mw.m.errors.status" => '500-599',
        "$mw.m.errors.service" => 'app' } ],
    [ 'middleware redirectscheme', sub { () }, {
        "$mw.m.redirectscheme.scheme" => 'https' }, undef, 302 ],
);

if (my $only = $ENV{BENCH_STACKS}) {
    @stacks = grep { $_->[0] =~ /$only/ } @stacks;
}

for my $module (@ARGV) {
    my $one;
    for my $stack (@stacks) {
        my ($name, $routers, $mws, $header, $status) = @$stack;
        my $ir = measure($module, [ $routers->() ], $mws, $header,
                         $status // 200);
        if (!defined $ir) {
            printf "%-40s %-26s %8s\n", $module, $name, '-';
            next;
        }
        $one //= $ir;
        printf "%-40s %-26s %8.0f instructions/request (%.3f x)\n",
            $module, $name, $ir, $ir / $one;
    }
}

sub measure {
    my ($module, $routers, $mws, $header, $status) = @_;
    my $dir = tempdir(CLEANUP => 1);
    my $p = free_port();
    my $lp = free_port();

    my $s = fake_service(1, 'app', { 'traefik.enable' => 'true',
        'traefik.http.routers.app.rule' =>
            'Host(`app.test`) && PathPrefix(`/`)',
        'traefik.http.services.app.loadbalancer.server.port' => "$p",
        'traefik.http.services.app.loadbalancer.sticky.cookie.name' => 'ck',
        ($mws ? ('traefik.http.routers.app.middlewares' => 'm',
                 map { ($_ => $mws->{$_} =~ s/PORT/$p/r) } keys %$mws)
              : ()),
    });
    my $k = fake_task($s, 'tsk' . ('0' x 21) . '1');
    $k->{NetworksAttachments}[0]{Addresses} = [ '10.0.77.1/24' ];

    # the other routers: a service each, with no task
    my @others = map {
        fake_service($_ + 1, "s$_", { 'traefik.enable' => 'true',
            "traefik.http.routers.$routers->[$_][0].rule"
                => $routers->[$_][1],
            "traefik.http.services.$routers->[$_][0].loadbalancer.server."
                . 'port' => "$p" })
    } 0 .. $#$routers;

    open my $fh, '>', "$dir/state.json" or die $!;
    print $fh encode_json({ services => [$s, @others], tasks => [$k] });
    close $fh;

    open $fh, '>', "$dir/nginx.conf" or die $!;
    print $fh <<"EOC";
load_module $module;
daemon off;
master_process off;
worker_processes 1;
error_log $dir/error.log notice;
pid $dir/nginx.pid;
events { worker_connections 128; }
http {
    access_log off;
    swarm_endpoint unix:$dir/docker.sock;
    swarm_allow 127.0.0.0/8;
    swarm_interval 600s;
    upstream tk { swarm_routes traefik; keepalive 8; }
    server {
        listen 127.0.0.1:$lp;
        keepalive_requests 100000;
        location / {
            swarm_route tk;
            proxy_pass http://tk;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
EOC
    close $fh;

    my @pids = (
        spawn('python3', "$T/dockerd.py", "unix:$dir/docker.sock",
              "$dir/state.json", "$dir/api.log"),
        spawn('python3', "$T/backend.py", "127.0.77.1:$p"),
    );
    wait_for(sub { -S "$dir/docker.sock" }, 10) or die "no API stand-in\n";

    push @pids, spawn('valgrind', '--tool=callgrind',
        "--callgrind-out-file=$dir/cg.out", $nginx, '-p', $dir,
        '-c', "$dir/nginx.conf");

    my @h = ('Host: app.test', $header // ());
    my $cookie = wait_for(sub {
        my $r = http_get("127.0.0.1:$lp", '/', @h);
        return 'none' if $r->{status} == $status && $status != 200;
        return $r->{status} == 200 && (grep { /^ck=/ } @{ $r->{cookies} })[0];
    }, $mws ? 20 : 60);

    unless ($cookie) {
        kill 'TERM', @pids;
        waitpid $_, 0 for @pids;

        # a module that does not run middlewares does not route the app
        return undef if $mws;
        die "$module: the route did not come up\n";
    }

    $cookie =~ s/;.*//;

    my $c = IO::Socket::INET->new("127.0.0.1:$lp") or die "connect: $!\n";

    requests($c, $cookie, 200, $header, $status);
    system('callgrind_control -z >/dev/null 2>&1');
    requests($c, $cookie, $n, $header, $status);
    system('callgrind_control -d >/dev/null 2>&1');
    close $c;

    my $ir = 0;
    wait_for(sub { glob "$dir/cg.out.*" }, 10);
    for my $f (glob "$dir/cg.out.*") {
        open my $g, '<', $f or next;
        while (<$g>) {
            $ir += $1 if /^summary:\s+(\d+)/;
        }
    }

    kill 'TERM', @pids;
    waitpid $_, 0 for @pids;

    return $ir / $n;
}

# n requests with the cookie (and the header) on one keep-alive
# connection, each of the status given

sub requests {
    my ($c, $cookie, $count, $header, $status) = @_;
    my $h = $header ? "$header\r\n" : '';
    for (1 .. $count) {
        print $c "GET /x HTTP/1.1\r\nHost: app.test\r\nCookie: $cookie\r\n"
            . "$h\r\n";
        my $head = '';
        while (my $l = <$c>) {
            $head .= $l;
            last if $l eq "\r\n";
        }
        $head =~ m{^HTTP/1\.1 $status } or die "not a $status: $head\n";
        my ($len) = $head =~ /^Content-Length: (\d+)/mi;
        read($c, my $body, $len) if $len;
        next unless $head =~ /^Transfer-Encoding: chunked/mi;

        # a body in chunks (a gzipped one): each read to the last
        while (my $l = <$c>) {
            $l =~ s/\s+//g;
            my $size = hex $l;
            read($c, my $chunk, $size + 2);
            last if $size == 0;
        }
    }
}

sub spawn {
    my @cmd = @_;
    my $pid = fork() // die "fork: $!\n";
    if ($pid == 0) {
        open STDOUT, '>', '/dev/null';
        open STDERR, '>', '/dev/null';
        exec @cmd or exit 127;
    }
    return $pid;
}
