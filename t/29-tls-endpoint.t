#!/usr/bin/perl

# An https:// endpoint, as Docker's on port 2376 with --tlsverify: the
# client certificate of swarm_tls_certificate and its key, the server's
# certificate verified against swarm_tls_trusted_certificate; a wrong CA
# or no client certificate is an error naming the endpoint.  A CA and
# the certificates are made by the test with openssl.

use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib";
use SwarmTest;

`which openssl`
    or BAIL_OUT('openssl is needed (make test installs it)');

my $t = SwarmTest->new;
my $p = free_port();
my $api = free_port();
my $dir = $t->dir;

sub ssl {
    my ($cmd) = @_;
    system("cd $dir && openssl $cmd >/dev/null 2>&1") == 0
        or BAIL_OUT("openssl $cmd failed");
}

open my $fh, '>', "$dir/server.ext" or die $!;
print $fh "subjectAltName=IP:127.0.0.1\n";
close $fh;

for my $ca (qw(ca other)) {
    ssl("req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=$ca "
        . "-keyout $ca.key -out $ca.pem");
}
for my $who (qw(server client)) {
    ssl("req -newkey rsa:2048 -nodes -subj /CN=$who -keyout $who.key "
        . "-out $who.csr");
    ssl("x509 -req -days 1 -in $who.csr -CA ca.pem -CAkey ca.key "
        . "-CAcreateserial -out $who.pem"
        . ($who eq 'server' ? ' -extfile server.ext' : ''));
}

# the master reads the files, as nginx reads its own certificates: a
# key only root may read (openssl's default, 0600) works, though the
# workers run as another user
chmod 0600, "$dir/client.key";

$t->state({ tasks => 'tasks-all.json' });
$t->start_api_tcp('tls-api', "127.0.0.1:$api", map { "$dir/$_" }
    'server.pem', 'server.key', 'ca.pem');
$t->start_backends("127.0.2.3:$p", "127.0.2.4:$p");

my $endpoint = "https://127.0.0.1:$api";

sub run {
    my ($tls) = @_;
    $t->conf(<<"EOC");
    swarm_endpoint $endpoint;
    swarm_interval 200ms;
    $tls

    upstream app {
        swarm_service label=swarm.upstream=app port=$p;
    }

    server {
        listen 127.0.0.1:%%PORT%%;
        location / { proxy_pass http://app; }
        location = /swarm { swarm_status; }
    }
EOC
    $t->start_nginx;
}

my $client = "swarm_tls_certificate $dir/client.pem; "
    . "swarm_tls_certificate_key $dir/client.key;";

run("$client swarm_tls_trusted_certificate $dir/ca.pem;");
ok(wait_for(sub { $t->peers('app') == 2 }, 5),
    'tasks found over TLS, with a client certificate');
is($t->status->{endpoint}, $endpoint, 'swarm_status: the endpoint');
is($t->get('/')->{status}, 200, 'and requests reach them');
$t->stop_nginx;

# the server's certificate is not of the CA trusted

run("$client swarm_tls_trusted_certificate $dir/other.pem;");
ok(wait_for(sub { ($t->status->{endpoints}[0]{state} // '') eq 'failed' }, 5),
    'a server certificate of another CA: the endpoint fails');
like($t->status->{endpoints}[0]{error} // '',
    qr/SSL peer certificate or SSH remote key was not OK \(SSL certificate problem: [^)]+\)/,
    'and swarm_status says why');
like($t->error_log,
    qr/swarm: Docker API at \Q$endpoint\E failed: GET \/_ping: SSL peer certificate or SSH remote key was not OK \(SSL certificate problem/,
    'so does the log, naming the endpoint');
is($t->peers('app'), 0, 'no task from an endpoint not trusted');
$t->stop_nginx;

# verification is on without swarm_tls_trusted_certificate: the test CA
# is none of the system's

run($client);
ok(wait_for(sub { ($t->status->{endpoints}[0]{state} // '') eq 'failed' }, 5),
    'no trusted certificate given: the system\'s CAs, which refuse it');
like($t->status->{endpoints}[0]{error} // '', qr/SSL certificate problem/,
    'verification is on by default');
$t->stop_nginx;

# no client certificate: Docker with --tlsverify refuses

run("swarm_tls_trusted_certificate $dir/ca.pem;");
ok(wait_for(sub { ($t->status->{endpoints}[0]{state} // '') eq 'failed' }, 5),
    'no client certificate: the endpoint fails');
is($t->peers('app'), 0, 'and gives no task');

$t->done_testing;
