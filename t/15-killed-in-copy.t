#!/usr/bin/perl

# A worker killed (as by the OOM killer) while it copies a task set out
# of the zone leaves nothing held: the next change is published within a
# second, every worker routes to it, and a reload that adds an upstream
# completes.  gdb stops the worker inside the copy of the peers (the
# memcpy of exactly their bytes) and kills it there.  The copy is also
# made outside any request: no request is on the stack when it is made.

use strict;
use warnings;
use Test::More;
use Time::HiRes qw(time sleep);
use FindBin;
use lib "$FindBin::Bin/lib";
use SwarmTest;

my $t = SwarmTest->new;
$t->allow(qr/worker process \d+ exited on signal 9/);
my $p = free_port();
my @four = map { "127.0.2.$_:$p" } 3, 4, 9, 10;

$t->start_api(tasks => 'tasks-all.json');
$t->start_backends(@four);
$t->conf_app($p, 'swarm_interval 60s;', workers => 2);
$t->start_nginx;
ok(wait_for(sub { $t->peers == 2 }, 5), 'two tasks');

# worker 0 is the one asking Docker; the other only copies

my ($poller) = $t->api_log =~ /^(\d+) /m;
my ($copier) = grep { $_ != $poller } $t->worker_pids;
ok($copier, "the copying worker: $copier, worker 0: $poller");

# a peer is 280 bytes: the three tasks of the next generation are 840

# gdb attached to $pid in the background: it stops the process at the
# breakpoint given, prints where, and kills it there (the output, in
# the test directory's $name, tells what happened)

sub gdb_kill_at {
    my ($pid, $break, $name) = @_;
    my $gpid = fork();
    if ($gpid == 0) {
        open STDOUT, '>', $t->dir . "/$name";
        open STDERR, '>&', \*STDOUT;
        exec 'timeout', '30', 'gdb', '-q', '-nx', '-batch', '-p', $pid,
            '-ex', 'set pagination off',
            '-ex', 'set confirm off',
            '-ex', "break $break",
            '-ex', 'continue',
            '-ex', 'bt',
            '-ex', 'kill',
            '-ex', 'quit';
        exit 1;
    }
    ok(wait_for(sub { $t->read_file($name) =~ /Breakpoint 1 at/ }, 20),
        "gdb attached to $pid") or diag $t->read_file($name);
    return $gpid;
}

my $gpid = gdb_kill_at($copier, 'memcpy if $rdx == 840', 'gdb.out');
sleep 0.5;

$t->state({ tasks => 'tasks-scaling-up.json',
    override => { jh4cj5tr1e => { State => 'running' } } });

# requests reach the copying worker too, where a copy may begin

my $end = time + 10;
while (time < $end && kill 0, $gpid) {
    $t->get('/');
    last if waitpid($gpid, POSIX::WNOHANG()) > 0;
    sleep 0.05;
}
waitpid $gpid, 0;
my $out = $t->read_file('gdb.out');
like($out, qr/Breakpoint 1(?:\.\d+)?, .*memcpy/, 'stopped inside the copy of the peers')
    or diag $out;
unlike($out, qr/ngx_http_(?:upstream_init|swarm_sticky_init_peer)/,
    'no request was on the stack');
ok(wait_for(sub { !kill 0, $copier }, 5), 'and killed there');
ok(wait_for(sub { my @w = $t->worker_pids; @w == 2 }, 5),
    'the worker is replaced');

# the next change: published, and seen by both workers, within a second

$t->state({ tasks => 'tasks-scaling-up.json',
    override => { jh4cj5tr1e => { State => 'running' },
                  o0fwowdnc9 => { State => 'running' } } });
my $t0 = time;
ok(wait_for(sub { $t->peers == 4 }, 3), 'the next change is published');
my $took = time - $t0;
cmp_ok($took, '<', 1, sprintf 'within a second (%.0f ms)', $took * 1000);
my %seen;
$seen{ $t->get('/')->{body} }++ for 1 .. 40;
is_deeply([sort keys %seen], [sort @four], 'every worker routes to it');

# worker 0 killed while it writes the zone, holding its mutex: the
# master frees the mutex, and the new worker 0 goes on

($poller) = reverse($t->api_log =~ /^(\d+) /mg);
my $gpid0 = gdb_kill_at($poller, 'ngx_http_swarm_zone_write_end',
    'gdb.out.0');
sleep 0.5;
$t->state({ tasks => 'tasks-scaling-up.json',
    override => { o0fwowdnc9 => { State => 'running' } } });
waitpid $gpid0, 0;
like($t->read_file('gdb.out.0'), qr/Breakpoint 1(?:\.\d+)?, .*write_end/,
    'worker 0 stopped inside a write') or diag $t->read_file('gdb.out.0');
ok(wait_for(sub { !kill 0, $poller }, 5), 'and killed there');
ok(wait_for(sub { $t->error_log =~ /shared memory zone "swarm" was locked by $poller/ }, 5),
    'the master frees the mutex it held');
$t->allow(qr/shared memory zone "swarm" was locked by $poller/);

$t->state({ tasks => 'tasks-scaling-up.json',
    override => { jh4cj5tr1e => { State => 'running' },
                  o0fwowdnc9 => { State => 'running' } } });
ok(wait_for(sub { $t->peers == 4 }, 5), 'the new worker 0 publishes');
%seen = ();
$seen{ $t->get('/')->{body} }++ for 1 .. 40;
is_deeply([sort keys %seen], [sort @four], 'and every worker routes to it');

# a reload that adds an upstream completes

$t->conf(<<"EOC", workers => 2);
    swarm_endpoint %%ENDPOINT%%;
    swarm_interval 60s;
    upstream app { swarm_service label=swarm.upstream=app port=$p; }
    upstream app2 { swarm_service name=mystack_app port=$p; }
    server {
        listen 127.0.0.1:%%PORT%%;
        location / { proxy_pass http://app2; }
        location = /swarm { swarm_status; }
    }
EOC
$t->reload;
ok(wait_for(sub { $t->peers('app2') == 4 }, 5),
    'a reload adding an upstream completes');

$t->done_testing;
