#!/usr/bin/perl

# The load balancer behind a read-only socket proxy (t/sockproxy.py: only
# GET to /_ping, /version, /services, /tasks and /events pass), with
# swarm_endpoint http://host:port: tasks are found, events still say when
# to look, and the module never asks for anything the proxy forbids.

use strict;
use warnings;
use Test::More;
use Time::HiRes qw(time sleep);
use FindBin;
use lib "$FindBin::Bin/lib";
use SwarmTest;

my $t = SwarmTest->new;
my $p = free_port();
my $pp = free_port();
my $dir = $t->dir;

$t->start_api(tasks => 'tasks-all.json');
$t->start_backends(map { "127.0.2.$_:$p" } 3, 4, 9, 10);
$t->spawn('proxy', 'python3', "$FindBin::Bin/sockproxy.py", "127.0.0.1:$pp",
    $t->socket_path, "$dir/proxy.log");
ok(wait_for(sub { IO::Socket::INET->new("127.0.0.1:$pp") }, 10),
    'the socket proxy listens');

# what the proxy lets through, and what not

sub raw {
    my ($req) = @_;
    my $s = IO::Socket::INET->new("127.0.0.1:$pp") or return '';
    print $s $req;
    local $/;
    return <$s> // '';
}
like(raw("GET /v1.41/tasks HTTP/1.1\r\nHost: x\r\n\r\n"), qr{^HTTP/1\.\d 200},
    'proxy: GET /tasks passes');
like(raw("POST /v1.41/services/create HTTP/1.1\r\nHost: x\r\n"
        . "Content-Length: 2\r\n\r\n{}"), qr{^HTTP/1\.1 403},
    'proxy: POST forbidden');
like(raw("GET /v1.41/containers/json HTTP/1.1\r\nHost: x\r\n\r\n"),
    qr{^HTTP/1\.1 403}, 'proxy: other paths forbidden');
my $checks = () = $t->read_file('proxy.log') =~ /\n/g;

$t->conf_app($p, 'swarm_interval 10s;', endpoint => "http://127.0.0.1:$pp");
$t->start_nginx;

ok(wait_for(sub { $t->peers == 2 }, 5), 'tasks found through the proxy');
is($t->status->{endpoint}, "http://127.0.0.1:$pp", 'status: the endpoint');
is($t->get('/')->{status}, 200, 'served');

# a change is seen by its event, well before swarm_interval

ok(wait_for(sub { $t->read_file('proxy.log') =~ /ALLOW GET \S*\/events/ }, 5),
    'the events stream goes through the proxy');
sleep 0.5;
my $t0 = time;
$t->state({ tasks => 'tasks-scaling-up.json',
    override => { jh4cj5tr1e => { State => 'running' },
                  o0fwowdnc9 => { State => 'running' } } });
ok(wait_for(sub { $t->peers == 4 }, 5), 'the change is followed');
cmp_ok(time - $t0, '<', 3, 'on its event, not on swarm_interval');

my @lines = split /\n/, $t->read_file('proxy.log');
my @asked = @lines[$checks .. $#lines];
cmp_ok(scalar @asked, '>=', 4, scalar(@asked) . ' requests from the module');
is_deeply([grep { !/^ALLOW GET / } @asked], [],
    'all of them GET, all allowed');

$t->done_testing;
