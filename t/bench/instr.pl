#!/usr/bin/perl

# make bench-instr: instructions per request, counted by callgrind,
# which gives the same figure run after run where requests per second
# on this machine do not.  Each proxy is one nginx process
# (master_process off) under valgrind --tool=callgrind, keepalive to
# three loopback backends (one nginx without the module); after a
# warm-up the counters are zeroed (callgrind_control -z), BENCH_REQUESTS
# requests are sent on one keep-alive connection and the counts dumped
# (callgrind_control -d): their sum over the number of requests is the
# figure.  New visitors send no cookie (each answer sets one); returning
# ones send the cookie of their task.
#
#   static        nginx, a static round-robin upstream of the three
#   sticky        stock nginx's "sticky cookie" (nginx 1.29.6 or later,
#                 given as NGINX_STICKY=/path/to/nginx), where at hand
#   service       swarm_service + swarm_sticky, three tasks
#   metrics       the same, with swarm_metrics in the configuration
#   route         swarm_routes traefik + swarm_route, one router (Host
#                 and PathPrefix) with a sticky cookie, three tasks
#   1,000 routes  the same beside 999 other routers of other hosts
#   + 20 HostRegexp  beside 20 HostRegexp routers that come first (a
#                 longer rule) and match none of its requests
#   mw TYPE       the route with a middleware of each type
#
# then, per full TLS 1.3 handshake (no request), a swarm_tls certificate
# against the same certificate in ssl_certificate.  Ratios are against
# the static upstream and, where it is at hand, stock nginx's sticky.
#
# Last, the calls the module's own functions made during the counted
# requests to snprintf(), malloc() and the like, and to locks: the
# request path should make none.
#
#   perl t/bench/instr.pl [MODULE.so ...]
#
# With several modules (say, one built from an earlier commit), the
# module's rows are printed for each.  Environment: BENCH_REQUESTS
# (5000), BENCH_HANDSHAKES (200), NGINX_BIN (/usr/sbin/nginx),
# NGINX_STICKY, BENCH_ROWS (a regular expression: only the rows it
# matches).

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use SwarmTest;
use SwarmBench;
use IO::Socket::INET;
use Time::HiRes qw(sleep);
use Cwd qw(abs_path);

my $n = $ENV{BENCH_REQUESTS} || 5000;
my $hs = $ENV{BENCH_HANDSHAKES} || 200;
my $nginx = $ENV{NGINX_BIN} || '/usr/sbin/nginx';
my $stock = $ENV{NGINX_STICKY};
my @modules = map { abs_path($_) } @ARGV ? @ARGV
    : ($ENV{SWARM_MODULE} || 'build/ngx_http_swarm_module.so');

my $t = SwarmTest->new(nginx => $nginx);
my $dir = $t->dir;
my $bp = free_port();
my @addrs = map { "127.0.3.$_" } 1 .. 3;
SwarmBench::backends($t, $bp, @addrs);
$t->start_api(services => [], tasks => []);

my $mw = 'traefik.http.middlewares';
my $apr1 = 'bob:$apr1$xMPIzGFl$WlzdAD7qlro9pzSqiILy0.';

# each middleware type: its labels, a request header, and the status
# each request gets (redirectscheme answers itself)

my @mws = (
    [ 'headers', { "$mw.m.headers.customRequestHeaders.X-A" => '1',
        "$mw.m.headers.customResponseHeaders.X-B" => '2',
        "$mw.m.headers.frameDeny" => 'true' } ],
    [ 'basicauth', { "$mw.m.basicauth.users" => $apr1 },
        'Authorization: Basic Ym9iOmJ1aWxkZXI=' ],
    [ 'stripprefix', { "$mw.m.stripprefix.prefixes" => '/x' } ],
    [ 'ipallowlist', { "$mw.m.ipallowlist.sourcerange" => '127.0.0.0/8' } ],
    [ 'ratelimit', { "$mw.m.ratelimit.average" => '1000000' } ],
    [ 'inflightreq', { "$mw.m.inflightreq.amount" => '100' } ],
    [ 'retry', { "$mw.m.retry.attempts" => '2' } ],
    [ 'buffering', { "$mw.m.buffering.maxRequestBodyBytes" => '1000' } ],
    [ 'compress', { "$mw.m.compress.minResponseBodyBytes" => '1' },
        'Accept-Encoding: gzip' ],
    [ 'forwardauth', { "$mw.m.forwardauth.address"
        => "http://127.0.3.1:$bp/auth" } ],
    [ 'errors', { "$mw.m.errors.status" => '500-599',
        "$mw.m.errors.service" => 'app' } ],
    [ 'redirectscheme', { "$mw.m.redirectscheme.scheme" => 'https' },
        undef, 302 ],
);

# the services: the app, three tasks; the other routers' services, one
# task each

sub app {
    my (%labels) = @_;
    my $s = fake_service(1, 'app', { 'swarm.upstream' => 'app',
        'traefik.enable' => 'true',
        'traefik.http.routers.app.rule' => 'Host(`app.test`) && PathPrefix(`/`)',
        'traefik.http.services.app.loadbalancer.server.port' => "$bp",
        'traefik.http.services.app.loadbalancer.sticky.cookie.name'
            => 'route',
        %labels });
    my @k = map {
        my $k = fake_task($s, sprintf 'tsk%022d', $_);
        $k->{NetworksAttachments}[0]{Addresses} = [ "10.0.3.$_/24" ];
        $k } 1 .. 3;
    return ([ $s ], \@k);
}

sub others {
    my ($services, $tasks, $count, $rule) = @_;
    $rule //= sub { "Host(`h$_[0].example.test`)" };
    for my $i (1 .. $count) {
        my $s = fake_service($i + 1, "s$i", { 'traefik.enable' => 'true',
            "traefik.http.routers.h$i.rule" => $rule->($i),
            "traefik.http.services.h$i.loadbalancer.server.port" => "$bp" });
        my $k = fake_task($s, sprintf 'tsk%08d%014d', $i + 1, 1);
        $k->{NetworksAttachments}[0]{Addresses}
            = [ '10.0.3.' . ($i % 3 + 1) . '/24' ];
        push @$services, $s;
        push @$tasks, $k;
    }
}

my $proxy = <<'EOL';
            proxy_pass http://%UP%;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
EOL

my $servers = join '', map { "        server $_:$bp;\n" } @addrs;

# name => [ http block, services and tasks, with the module, cookie
#   name, request header, status ]

sub route_row {
    my ($labels, $others, $header, $status, $rule) = @_;
    my ($s, $k) = app(%{ $labels || {} });
    others($s, $k, $others, $rule) if $others;
    return [ "upstream tk { swarm_routes traefik; keepalive 8; }\n"
        . "server { listen 127.0.0.1:%PORT%; keepalive_requests 100000;\n"
        . "    location / { swarm_route tk;\n"
        . ($proxy =~ s/%UP%/tk/r) . "    }\n}\n",
        [ $s, $k ], 1, 'route', $header, $status // 200 ];
}

my $service_http = "upstream app { swarm_service label=swarm.upstream=app "
    . "port=$bp; swarm_sticky; keepalive 8; }\n"
    . "server { listen 127.0.0.1:%PORT%; keepalive_requests 100000;\n"
    . "    location / {\n" . ($proxy =~ s/%UP%/app/r) . "    }\n}\n";

my @rows = (
    [ 'static', [ "upstream st {\n$servers        keepalive 8;\n    }\n"
        . "server { listen 127.0.0.1:%PORT%; keepalive_requests 100000;\n"
        . "    location / {\n" . ($proxy =~ s/%UP%/st/r) . "    }\n}\n",
        undef, 0, undef ] ],
    [ 'sticky', [ "upstream st {\n$servers        sticky cookie route;\n"
        . "        keepalive 8;\n    }\n"
        . "server { listen 127.0.0.1:%PORT%; keepalive_requests 100000;\n"
        . "    location / {\n" . ($proxy =~ s/%UP%/st/r) . "    }\n}\n",
        undef, 0, 'route', undef, 200, $stock ] ],
    [ 'service', [ $service_http, [ app() ], 1, 'route' ] ],
    [ 'metrics', [ $service_http . "server { listen 127.0.0.1:%PORT2%;\n"
        . "    location = /metrics { swarm_metrics; }\n}\n",
        [ app() ], 1, 'route' ] ],
    [ 'route', route_row() ],
    [ '1,000 routes', route_row(undef, 999) ],

    # a longer rule comes first: each request runs their 20 expressions
    # before its own router
    [ '+ 20 HostRegexp', route_row(undef, 20, undef, undef, sub {
        "HostRegexp(`^svc$_[0]\\.(example|internal)\\.test\$`)" }) ],
    (map { my ($type, $labels, $header, $status) = @$_;
           [ "mw $type", route_row({ %$labels,
               'traefik.http.routers.app.middlewares' => 'm' },
               0, $header, $status) ] } @mws),
);

if (my $only = $ENV{BENCH_ROWS}) {
    @rows = grep { $_->[0] =~ /$only/ } @rows;
}

# one nginx under callgrind, counting: returns the files of its dumps

my @kept;

sub callgrind {
    my ($name, $module, $http) = @_;
    (my $tag = $name) =~ s/\W+/_/g;
    my $d = "$dir/$tag-" . scalar(@kept);
    mkdir $d;
    push @kept, $d;
    open my $fh, '>', "$d/nginx.conf" or die $!;
    print $fh ($module ? "load_module $module;\n" : '') . <<"EOC";
daemon off;
master_process off;
worker_processes 1;
error_log $d/error.log notice;
pid $d/nginx.pid;
events { worker_connections 128; }
http {
    access_log off;
@{[ $module ? "    swarm_endpoint unix:$dir/docker.sock;\n"
    . "    swarm_allow 127.0.0.0/8;\n    swarm_interval 600s;\n" : '' ]}
$http
}
EOC
    close $fh;
    return $d;
}

sub start {
    my ($d, $bin) = @_;
    my $pid = fork() // die "fork: $!\n";
    if ($pid == 0) {
        open STDOUT, '>', "$d/valgrind.out";
        open STDERR, '>&', \*STDOUT;
        exec 'valgrind', '--tool=callgrind', '--compress-strings=no',
            '--compress-pos=no', "--callgrind-out-file=$d/cg.out",
            $bin, '-p', "$d/", '-c', "$d/nginx.conf" or exit 127;
    }
    return $pid;
}

# the sum of the instructions of the dump numbered $i

sub dumped {
    my ($d, $i) = @_;
    wait_for(sub { -s "$d/cg.out.$i" }, 30) or die "no dump $d/cg.out.$i\n";
    sleep 0.2;
    open my $g, '<', "$d/cg.out.$i" or die $!;
    while (my $l = <$g>) {
        return $1 if $l =~ /^summary:\s+(\d+)/;
    }
    die "no summary in $d/cg.out.$i\n";
}

# n requests on one keep-alive connection, with the cookie (and the
# header) given, each of the status given; the cookie of the last
# answer's Set-Cookie, if any

sub requests {
    my ($c, $count, $cookie, $header, $status) = @_;
    my $h = ($cookie ? "Cookie: $cookie\r\n" : '')
        . ($header ? "$header\r\n" : '');
    my $set;
    for (1 .. $count) {
        print $c "GET /x HTTP/1.1\r\nHost: app.test\r\n$h\r\n";
        my $head = '';
        while (my $l = <$c>) {
            $head .= $l;
            last if $l eq "\r\n";
        }
        $head =~ m{^HTTP/1\.1 $status } or die "not a $status: $head\n";
        ($set) = $head =~ /^Set-Cookie: ([^;\r\n]+)/mi;
        my ($len) = $head =~ /^Content-Length: (\d+)/mi;
        read($c, my $body, $len) if $len;
        next unless $head =~ /^Transfer-Encoding: chunked/mi;
        while (my $l = <$c>) {
            $l =~ s/\s+//g;
            my $size = hex $l;
            read($c, my $chunk, $size + 2);
            last if $size == 0;
        }
    }
    return $set;
}

# a row: [ new, returning ] instructions a request, or undef

sub measure {
    my ($name, $module, $row) = @_;
    my ($http, $state, $with, $cookie, $header, $status, $bin) = @$row;
    $status //= 200;
    $bin //= $nginx;
    my $p = free_port();
    my $p2 = free_port();
    $http =~ s/%PORT%/$p/g;
    $http =~ s/%PORT2%/$p2/g;
    if ($state) {
        $t->state({ services => $state->[0], tasks => $state->[1] });
    }
    my $d = callgrind($name, $with ? $module : undef, $http);
    my $pid = start($d, $bin);

    # up: the first answer of the status, from a task where it has one
    my $up = wait_for(sub {
        my $r = http_get($p, '/x', 'Host: app.test', $header // ());
        $r->{status} == $status }, $with ? 60 : 20);
    unless ($up) {
        kill 'TERM', $pid;
        waitpid $pid, 0;
        return undef;
    }

    my $c = IO::Socket::INET->new("127.0.0.1:$p") or die "connect: $!\n";
    my $set = requests($c, 200, undef, $header, $status);
    die "$name: no cookie set\n" if $cookie && !$set && $status == 200;

    # a returning visitor's cookie: the one set, or one a proxy with
    # no sticky cookie ignores, as visitors send it all the same

    my @ir;
    for my $ck (undef, $set // 'route=127.0.3.1') {
        system('callgrind_control -z >/dev/null 2>&1');
        requests($c, $n, $ck, $header, $status);
        system('callgrind_control -d >/dev/null 2>&1');
        push @ir, dumped($d, scalar(@ir) + 1) / $n;
    }
    close $c;
    kill 'TERM', $pid;
    waitpid $pid, 0;
    return \@ir;
}

my %base;
my @table;

for my $module (@modules) {
    for my $row (@rows) {
        my ($name, $how) = @$row;
        next if !$how->[2] && $module ne $modules[0];
        if ($name eq 'sticky' && !$stock) {
            push @table, [ $module, $name, undef, 'NGINX_STICKY not given' ];
            next;
        }
        my $ir = measure($name, $module, $how);
        $base{$name} = $ir if $ir && !$how->[2];
        push @table, [ $module, $name, $ir ];
        printf STDERR "%-14s %s\n", $name,
            $ir ? sprintf('%.0f %.0f', @$ir) : '-';
    }
}

# the TLS handshake: swarm_tls against ssl_certificate, one nginx

sub handshakes {
    my ($module) = @_;
    my $name = 'h.bench.test';
    my $d = "$dir/tls";
    mkdir $d;
    mkdir "$d/acme";
    mkdir "$d/acme/certs";
    system("cd $d && openssl req -x509 -newkey ec -pkeyopt "
        . "ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=$name "
        . "-addext subjectAltName=DNS:$name -keyout acme/certs/$name.key "
        . "-out acme/certs/$name.crt >/dev/null 2>&1 && openssl req -x509 "
        . "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 "
        . "-subj /CN=default.invalid -keyout default.key -out default.crt "
        . ">/dev/null 2>&1") == 0 or die 'openssl: no certificates';
    my $s = fake_service(1, 'h', { 'swarm.bench' => 'true',
        'swarm.http.host' => $name, 'swarm.port' => "$bp",
        'swarm.http.tls.certresolver' => 'le' });
    $t->state({ services => [ $s ],
        tasks => [ fake_task($s, 'tsk0000000000000000000001') ] });
    my ($pm, $ps) = (free_port(), free_port());
    my $tls = "ssl_protocols TLSv1.2 TLSv1.3;\n";
    my $c = callgrind('tls', $module, <<"EOH");
    swarm_acme le server=https://127.0.0.1:1/dir storage=$d/acme;
    upstream routes { swarm_routes label=swarm.bench=true; }
    server { listen 127.0.0.1:$pm ssl; swarm_tls; $tls
        ssl_certificate $d/default.crt;
        ssl_certificate_key $d/default.key;
        location / { return 204; } }
    server { listen 127.0.0.1:$ps ssl; $tls
        ssl_certificate $d/acme/certs/$name.crt;
        ssl_certificate_key $d/acme/certs/$name.key;
        location / { return 204; } }
EOH
    my $pid = start($c, $nginx);
    my $subject = sub {
        my $o = `echo | openssl s_client -connect 127.0.0.1:$_[0] -servername $name 2>/dev/null | openssl x509 -noout -subject 2>/dev/null`;
        return $o =~ /CN\s*=\s*\Q$name\E/;
    };
    wait_for(sub { $subject->($pm) }, 60)
        or die "swarm_tls does not serve $name\n";
    open my $fh, '>', "$d/hs.py" or die $!;
    print $fh <<'EOP';
import socket, ssl, sys
port, name, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
ctx.minimum_version = ssl.TLSVersion.TLSv1_3
for i in range(n):
    ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)),
                    server_hostname=name).close()
EOP
    close $fh;
    my %ir;
    my $i = 0;
    for my $which ([ module => $pm ], [ static => $ps ]) {
        system("python3 $d/hs.py $which->[1] $name 20");
        system('callgrind_control -z >/dev/null 2>&1');
        system("python3 $d/hs.py $which->[1] $name $hs") == 0
            or die "handshakes failed\n";
        system('callgrind_control -d >/dev/null 2>&1');
        $ir{ $which->[0] } = dumped($c, ++$i) / $hs;
    }
    kill 'TERM', $pid;
    waitpid $pid, 0;
    return \%ir;
}

my %tls = map { $_ => handshakes($_) } @modules;

# what the module's own functions called in the counted requests, on
# the request path: not those whose calls all come from the module's
# timers (the 100 ms flush of the counts into the zone, discovery)

my %timers = map { ("ngx_http_swarm_$_" => 1) } qw(views_check views_woken
    ca_tick curl_timeout curl_event get_resume endpoints_probe events_retry
    order_tick sync_poll);

sub request_path_calls {
    my ($d) = @_;
    my (%callers, %calls);
    for my $f (glob "$d/cg.out.*") {
        open my $g, '<', $f or next;
        my $fn = '';
        while (my $l = <$g>) {
            if ($l =~ /^fn=(.*)/) {
                $fn = $1;
            } elsif (my ($callee) = $l =~ /^cfn=(.*)/) {
                $callers{$callee}{$fn} = 1;
                $calls{"$fn -> $callee"} = $fn if $fn =~ /^ngx_http_swarm/
                    && $callee =~ /^(__)?(v?s?n?printf|malloc|calloc|realloc|ngx_alloc|ngx_calloc|posix_memalign|json_\w+)(_chk)?$|shmtx|rwlock|mutex|flock/;
            }
        }
    }

    # up the module's callers: reached other than from its timers?
    my $request = sub {
        my @queue = ($_[0]);
        my %seen = ($_[0] => 1);
        while (defined(my $fn = shift @queue)) {
            next if $timers{$fn};
            for my $caller (keys %{ $callers{$fn} || {} }) {
                return 1 if $caller !~ /^ngx_http_swarm/;
                push @queue, $caller unless $seen{$caller}++;
            }
        }
        return 0;
    };
    return sort grep { $request->($calls{$_}) } keys %calls;
}

print "\ninstructions per request (callgrind, one worker, $n requests on "
    . "one keep-alive connection, three tasks)\n\n";
printf "%-40s %-16s %10s %8s %8s %10s %8s %8s\n", 'module', 'proxy',
    'new', '/static', '/sticky', 'returning', '/static', '/sticky';
for my $r (@table) {
    my ($module, $name, $ir, $why) = @$r;
    if (!$ir) {
        printf "%-40s %-16s %10s   %s\n", $module, $name, '-', $why // '';
        next;
    }
    my @c;
    for my $i (0, 1) {
        push @c, sprintf('%10.0f', $ir->[$i]);
        for my $b (qw(static sticky)) {
            push @c, $base{$b} ? sprintf('%8.3f', $ir->[$i] / $base{$b}[$i])
                               : sprintf('%8s', '-');
        }
    }
    printf "%-40s %-16s %s\n", $module, $name, join ' ', @c;
}

print "\ninstructions per full TLS 1.3 handshake ($hs handshakes, ECDSA "
    . "P-256)\n";
for my $module (@modules) {
    printf "%-40s swarm_tls %.0f, ssl_certificate %.0f: %.3f\n", $module,
        $tls{$module}{module}, $tls{$module}{static},
        $tls{$module}{module} / $tls{$module}{static};
}

print "\ncalls of the module's functions to snprintf, malloc, jansson or a "
    . "lock on the request path (what a connection's events run)\n";
my @calls = map { request_path_calls($_) }
    grep { !/static|sticky|tls/ } @kept;
my %seen;
print @calls ? join('', map { "  $_\n" } grep { !$seen{$_}++ } @calls)
             : "  none\n";

SwarmBench::stop_backends($t);
$t->cleanup;
