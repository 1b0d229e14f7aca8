#!/usr/bin/perl

# make bench (TLS run): the cost of a full TLS handshake when swarm_tls
# serves the certificate, against the same certificate and key in
# ssl_certificate.  One nginx, one worker, two servers:
#
#   module    swarm_tls: the certificate of h.bench.test, taken by the
#             ACME client from its storage (made here with openssl, so
#             no CA is asked), found by SNI in the worker's copy; the
#             server's own ssl_certificate is another one
#   static    ssl_certificate: the same certificate and key
#
# A client (Python's ssl, TLS 1.3, SNI h.bench.test, no session reused)
# makes BENCH_HANDSHAKES full handshakes to one server, then to the
# other, in rounds that alternate which goes first.  Printed: the
# worker's CPU time per handshake (from /proc/PID/schedstat, in ns,
# whatever else runs on the machine) and the client's handshakes a
# second, their medians, and the median of the ratios module/static
# round by round.
#
# Environment: BENCH_ROUNDS (7), BENCH_HANDSHAKES (2000).

use strict;
use warnings;
use lib 't/lib';
use SwarmTest;
use SwarmBench qw(median ratio);

my $rounds = $ENV{BENCH_ROUNDS} || 7;
my $n = $ENV{BENCH_HANDSHAKES} || 2000;
my $name = 'h.bench.test';

my $t = SwarmTest->new;
my $dir = $t->dir;

# the certificate (ECDSA P-256, as swarm_acme's) and another, the
# module server's default

mkdir "$dir/acme";
mkdir "$dir/acme/certs";
system("cd $dir && openssl req -x509 -newkey ec -pkeyopt "
    . "ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=$name "
    . "-addext subjectAltName=DNS:$name -keyout acme/certs/$name.key "
    . "-out acme/certs/$name.crt >/dev/null 2>&1 && openssl req -x509 "
    . "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 "
    . "-subj /CN=default.invalid -keyout default.key -out default.crt "
    . ">/dev/null 2>&1 && chmod a+r acme/certs/*") == 0
    or die 'openssl could not make certificates';

# (nginx writes its storage as the workers' user; these, root's, are
# made readable to it)

my $svc = fake_service(1, 'h', { 'swarm.bench' => 'true',
    'swarm.http.host' => $name, 'swarm.port' => '8080',
    'swarm.http.tls.certresolver' => 'le' });
$t->start_api(services => [ $svc ],
    tasks => [ fake_task($svc, 'tsk0000000000000000000001') ]);

my %port = map { $_ => free_port() } qw(module static);

$t->conf(<<"EOF", log_level => 'error');
    access_log off;
    swarm_endpoint %%ENDPOINT%%;

    # never asked: the certificate is in the storage
    swarm_acme le server=https://127.0.0.1:1/dir storage=$dir/acme;

    upstream routes {
        swarm_routes label=swarm.bench=true;
    }

    server {
        listen 127.0.0.1:$port{module} ssl;
        ssl_certificate $dir/default.crt;
        ssl_certificate_key $dir/default.key;
        ssl_protocols TLSv1.2 TLSv1.3;
        swarm_tls;
        location / { return 204; }
    }
    server {
        listen 127.0.0.1:$port{static} ssl;
        ssl_certificate $dir/acme/certs/$name.crt;
        ssl_certificate_key $dir/acme/certs/$name.key;
        ssl_protocols TLSv1.2 TLSv1.3;
        location / { return 204; }
    }
    server { listen 127.0.0.1:%%PORT%%; location = /swarm { swarm_status; } }
EOF
$t->start_nginx;

sub subject {
    my ($port) = @_;
    my $out = `echo | openssl s_client -connect 127.0.0.1:$port -servername $name 2>/dev/null | openssl x509 -noout -subject 2>/dev/null`;
    return $out =~ /CN\s*=\s*(\S+)/ ? $1 : '';
}

wait_for(sub { subject($port{module}) eq $name }, 30)
    or die "the module server does not serve $name";
subject($port{static}) eq $name or die "the static server does not";

my ($worker) = $t->worker_pids;

sub cpu_ns {
    open my $fh, '<', "/proc/$worker/schedstat" or die "schedstat: $!";
    my ($ns) = split ' ', scalar <$fh>;
    return $ns;
}

my $client = <<'EOP';
import socket, ssl, sys, time
port, name, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
ctx.minimum_version = ssl.TLSVersion.TLSv1_3
t0 = time.time()
for i in range(n):
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)),
                        server_hostname=name)
    s.close()
print(n / (time.time() - t0))
EOP
open my $fh, '>', "$dir/handshakes.py" or die;
print $fh $client;
close $fh;

my (%ns, %hps);
my @order = qw(module static);

for my $round (1 .. $rounds) {
    for my $server ($round % 2 ? @order : reverse @order) {
        my $before = cpu_ns();
        my $rate = `/usr/bin/python3 $dir/handshakes.py $port{$server} $name $n`;
        my $ns = (cpu_ns() - $before) / $n;
        chomp $rate;
        die "the client failed: $rate" unless $rate =~ /^[\d.]+$/;
        push @{ $ns{$server} }, $ns;
        push @{ $hps{$server} }, $rate;
        printf "round %d  %-7s %8.1f us of the worker a handshake, "
            . "%7.0f handshakes/s\n", $round, $server, $ns / 1000, $rate;
    }
}

print "\nmedians of $rounds rounds of $n full TLS 1.3 handshakes\n";
printf "%-7s %8.1f us of the worker a handshake, %7.0f handshakes/s\n",
    $_, median(@{ $ns{$_} }) / 1000, median(@{ $hps{$_} }) for @order;
printf "module/static: %.3f the worker's time a handshake, "
    . "%.3f handshakes/s\n", ratio($ns{module}, $ns{static}),
    ratio($hps{module}, $hps{static});

$t->stop_nginx;
