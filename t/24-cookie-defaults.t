#!/usr/bin/perl

# The route cookie's safe defaults: HttpOnly and SameSite=Lax, Secure
# where the visitor came over TLS, and "Cache-Control: private" on a
# response that sets it unless the response has a Cache-Control of its
# own; and their "off" forms.

use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib";
use SwarmTest;

`which openssl` && `which curl`
    or BAIL_OUT('openssl and curl are needed (make test installs them)');

my $t = SwarmTest->new;
my $p = free_port();
my $tls = free_port();
my $dir = $t->dir;

system("openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost "
    . "-days 1 -keyout $dir/key.pem -out $dir/cert.pem >/dev/null 2>&1") == 0
    or BAIL_OUT('openssl could not make a certificate');

$t->start_api(tasks => 'tasks-all.json');
$t->start_backends("127.0.2.3:$p", "127.0.2.4:$p");

$t->conf(<<"EOC");
    swarm_endpoint %%ENDPOINT%%;
    swarm_interval 1s;

    upstream app {
        swarm_service label=swarm.upstream=app port=$p;
        swarm_sticky;
    }
    upstream off {
        swarm_service label=swarm.upstream=app port=$p;
        swarm_sticky httponly=off samesite=off secure=off nocache=off;
    }
    upstream sec {
        swarm_service label=swarm.upstream=app port=$p;
        swarm_sticky secure samesite=strict;
    }

    server {
        listen 127.0.0.1:%%PORT%%;
        listen 127.0.0.1:$tls ssl;
        ssl_certificate $dir/cert.pem;
        ssl_certificate_key $dir/key.pem;

        location / { proxy_pass http://app; }
        location /off { proxy_pass http://off; }
        location /sec { proxy_pass http://sec; }
        location = /swarm { swarm_status; }
    }
EOC
$t->start_nginx;
ok(wait_for(sub { $t->peers('app') == 2 }, 5), 'two tasks');

# over TLS: curl, which writes the headers it got

sub tls {
    my ($path, @h) = @_;
    my $out = `curl -sk -o /dev/null -D - @{[ map { "-H '$_'" } @h ]} https://127.0.0.1:$tls$path`;
    return { cookies => [ $out =~ /^Set-Cookie: (.*?)\r$/mgi ],
             cc => [ $out =~ /^Cache-Control: (.*?)\r$/mgi ] };
}

sub cc {
    my ($r) = @_;
    return [ map { $_->[1] } grep { lc $_->[0] eq 'cache-control' }
        @{ $r->{headers} } ];
}

my $r = $t->get('/');
my ($ip) = $r->{body} =~ /^([\d.]+):/;
is_deeply($r->{cookies}, ["route=$ip; Path=/; HttpOnly; SameSite=Lax"],
    'HttpOnly and SameSite=Lax by default, no Secure over plain HTTP');
is_deeply(cc($r), ['private'], 'Cache-Control: private where the cookie is set');

$r = $t->get('/', "Cookie: route=$ip");
is_deeply([$r->{cookies}, cc($r)], [[], []],
    'a returning visitor: no cookie set, nothing made private');

$r = $t->get('/cc');
is_deeply(cc($r), ['public, max-age=60'],
    'a Cache-Control of the response\'s own is kept');

my $s = tls('/');
like($s->{cookies}[0] // '', qr/^route=[\d.]+; Path=\/; Secure; HttpOnly; SameSite=Lax$/,
    'Secure where the visitor came over TLS');
is_deeply($s->{cc}, ['private'], 'and private');

$s = tls('/off');
like($s->{cookies}[0] // '', qr/^route=[\d.]+; Path=\/$/,
    'httponly=off samesite=off secure=off: none of them, over TLS too');
is_deeply($s->{cc}, [], 'nocache=off: nothing made private');

$r = $t->get('/sec');
like($r->{cookies}[0] // '', qr/^route=[\d.]+; Path=\/; Secure; HttpOnly; SameSite=Strict$/,
    'secure: Secure over plain HTTP too');

$t->done_testing;
