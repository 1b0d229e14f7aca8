#!/usr/bin/perl

# Several swarm_endpoint, as with one Docker API per manager: a working
# endpoint is kept; when it fails (no answer, a timeout, "This node is
# not a swarm manager", a manager without a leader) the next is tried at
# once, with no moment without the task sets; the first is asked in the
# background and used again once it answers; swarm_status shows each.

use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib";
use SwarmTest;
use Time::HiRes qw(time sleep);

my $t = SwarmTest->new;    # manager A, the first endpoint
my $b = SwarmTest->new;    # manager B
my $p = free_port();
my $sa = 'unix:' . $t->socket_path;
my $sb = 'unix:' . $b->socket_path;

$t->start_api(tasks => 'tasks-all.json');
$b->start_api(tasks => 'tasks-all.json');
$t->start_backends(map { "127.0.2.$_:$p" } 3, 4, 9, 10);

$t->conf(<<"EOC");
    swarm_endpoint $sa;
    swarm_endpoint $sb;
    swarm_interval 200ms;
    swarm_timeout 1s;

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
ok(wait_for(sub { $t->peers('app') == 2 }, 5), 'two tasks, through A');

sub states {
    my $s = $t->status or return '';
    return join ' ', map { $_->{state} } @{ $s->{endpoints} };
}

is(states(), 'current standby', 'swarm_status: A in use, B standing by');
is($t->status->{endpoint}, $sa, 'the endpoint in use is A');

# A stops being a manager: B at once, and the tasks never go

my $gaps = 0;
my $watch = sub { $gaps++ unless $t->peers('app') >= 2 };

$t->state({ tasks => 'tasks-all.json', fault => 'not_manager' });
ok(wait_for(sub { $watch->(); states() eq 'failed current' }, 5),
    'A answers "not a swarm manager": B is used');
is($t->status->{endpoint}, $sb, 'the endpoint in use is B');
like($t->status->{endpoints}[0]{error}, qr/HTTP 503: This node is not a swarm manager/,
    'swarm_status: why A failed');
like($t->error_log, qr/swarm: Docker API at \Q$sa\E failed, trying \Q$sb\E/,
    'the log says so');
ok(wait_for(sub { $t->error_log
    =~ /swarm: Docker API at \Q$sb\E answers, in place of the one that failed/ },
    5), 'and that B answers in its place, once its refresh is done');

# discovery goes on through B

$b->state({ tasks => 'tasks-scaling-up.json',
    override => { jh4cj5tr1e => { State => 'running' },
                  o0fwowdnc9 => { State => 'running' } } });
ok(wait_for(sub { $watch->(); $t->peers('app') == 4 }, 5),
    'a change seen through B');

# A answers again: used again, after the background probe

$t->state({ tasks => 'tasks-scaling-up.json',
    override => { jh4cj5tr1e => { State => 'running' },
                  o0fwowdnc9 => { State => 'running' } } });
ok(wait_for(sub { $watch->(); states() eq 'current standby' }, 5),
    'A answers again: used again');
like($t->error_log, qr/swarm: Docker API at \Q$sa\E answers again, used in place of \Q$sb\E/,
    'the log says so');

# A fails again, then comes back as an engine that refuses every API
# version below 1.44 (Docker 29.0 to 29.2): the probe negotiates, as the
# refresh does, and A is used again

$t->state({ tasks => 'tasks-scaling-up.json', fault => 'not_manager',
    override => { jh4cj5tr1e => { State => 'running' },
                  o0fwowdnc9 => { State => 'running' } } });
ok(wait_for(sub { $watch->(); states() eq 'failed current' }, 5),
    'A fails again: B is used');
$t->state({ tasks => 'tasks-scaling-up.json', version => '1.44',
    min_version => '1.44',
    override => { jh4cj5tr1e => { State => 'running' },
                  o0fwowdnc9 => { State => 'running' } } });
ok(wait_for(sub { $watch->(); states() eq 'current standby' }, 8),
    'A back with 1.44 at the least: the probe negotiates, A is used again')
    or diag join "\n", grep { /services\?filters=%7B%22id%22%3A%5B%22ngx/ }
        split /\n/, $t->api_log;
unlike($t->api_log, qr{^\d+ GET /v1\.24/services\?filters=%7B%22id%22%3A%5B%22ngx_http_swarm_probe}m,
    'the probe asked no version A refuses');

# a manager that lost its quorum, then one that does not answer at all

for my $case (['no_leader', qr/HTTP 500: rpc error: code = Unknown desc = The swarm does not have a leader/],
              ['hang', qr/Timeout was reached/]) {
    my ($fault, $why) = @$case;
    $t->state({ tasks => 'tasks-scaling-up.json', fault => $fault,
        override => { jh4cj5tr1e => { State => 'running' },
                      o0fwowdnc9 => { State => 'running' } } });
    ok(wait_for(sub { $watch->(); states() eq 'failed current' }, 5),
        "$fault: B is used");
    like($t->status->{endpoints}[0]{error} // '', $why, "$fault: why A failed");
    $t->state({ tasks => 'tasks-scaling-up.json',
        override => { jh4cj5tr1e => { State => 'running' },
                      o0fwowdnc9 => { State => 'running' } } });
    ok(wait_for(sub { $watch->(); states() eq 'current standby' }, 8),
        "$fault: A used again once it answers");
}

# A gone, then B gone too: the last sets are kept, both said failed

$t->stop_api;
ok(wait_for(sub { $watch->(); states() eq 'failed current' }, 5),
    'A gone: B is used');
$b->stop_api;
ok(wait_for(sub { $watch->(); states() eq 'failed failed' }, 5),
    'both gone: both failed');
sleep 1;
$watch->();
is($gaps, 0, 'no moment without the tasks through it all');
is($t->peers('app'), 4, 'the last task set is kept');

# B comes back first

$b->start_api;
ok(wait_for(sub { $t->status->{endpoint} eq $sb
    && $t->status->{endpoints}[1]{state} eq 'current'
    && !$t->status->{upstreams}{app}{last_error} }, 10),
    'B back: used, and the refresh works');

$t->done_testing;
