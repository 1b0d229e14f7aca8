#!/usr/bin/perl

# Docker API failures: a hang, HTTP 500, garbage, a truncated answer, an
# answer over swarm_max_response, an engine that refuses the API version.
# Each time the last good tasks keep serving at unchanged latency, one
# error line is logged per failure streak, and discovery recovers.

use strict;
use warnings;
use Test::More;
use Time::HiRes qw(time sleep);
use FindBin;
use lib "$FindBin::Bin/lib";
use SwarmTest;

my $t = SwarmTest->new;
my $p = free_port();

$t->start_api(tasks => 'tasks-all.json');
$t->start_backends("127.0.2.3:$p", "127.0.2.4:$p");

$t->conf_app($p, 'swarm_interval 300ms; swarm_timeout 1s; swarm_max_response 64k;');

$t->start_nginx;
ok(wait_for(sub { $t->peers == 2 }, 5), 'two tasks');

sub failures {
    my @l = $t->error_log =~ /(swarm: Docker API at \S+ failed: [^\n]*)/g;
    return @l;
}

sub serve_ok {
    my ($what, $n) = @_;
    my ($worst, $bad) = (0, 0);
    for (1 .. $n || 20) {
        my $r = $t->get('/');
        $bad++ unless $r->{status} == 200 && $r->{body} =~ /^127\.0\.2\.[34]:/;
        $worst = $r->{time} if $r->{time} > $worst;
    }
    is($bad, 0, "$what: every request served by a known task");
    cmp_ok($worst, '<', 0.25, "$what: latency unchanged");
    is_deeply([$t->peers],
        ["127.0.2.3:$p active", "127.0.2.4:$p active"],
        "$what: last good task set kept");
}

sub fault {
    my ($what, $state, $pattern) = @_;
    my $before = () = failures();
    $t->state({ tasks => 'tasks-all.json', %$state });
    ok(wait_for(sub { failures() > $before }, 5), "$what: failure seen");
    my @f = failures();
    like($f[-1], $pattern, "$what: the error says what failed");
    like($f[-1], qr/at unix:\S+docker\.sock/, "$what: names the endpoint");
    serve_ok($what);
    sleep 1.5;
    is(scalar(() = failures()), $before + 1, "$what: one error per streak");
    like($t->status->{upstreams}{app}{last_error}, $pattern,
        "$what: status shows the error");

    my $ok = () = $t->error_log =~ /answers again/g;
    $t->state({ tasks => 'tasks-all.json' });
    ok(wait_for(sub { (() = $t->error_log =~ /answers again/g) > $ok }, 5),
        "$what: recovery logged");
    ok(wait_for(sub { !defined $t->status->{upstreams}{app}{last_error} }, 3),
        "$what: error cleared");
}

fault('hang', { fault => 'hang' }, qr/Timeout was reached/);
fault('500', { fault => '500' }, qr{GET /\w+: HTTP 500: stand-in: internal error});
fault('garbage', { fault => 'garbage', fault_paths => ['/tasks'] },
    qr/invalid JSON in tasks/);
fault('truncated', { fault => 'truncate', fault_paths => ['/tasks'] },
    qr{GET /tasks: (Transferred a partial file|Timeout was reached)});
fault('too large', { fault => 'big', big_size => 1024 * 1024,
    fault_paths => ['/tasks'] },
    qr{GET /tasks: answer larger than swarm_max_response 65536 bytes});
fault('not an array', { tasks => 'version.json' },
    qr/tasks answer is not a JSON array/);

# Docker 29.0-29.2 refuse versions below 1.44: negotiate again

is($t->status->{api_version}, '1.41', 'API version 1.41 negotiated');
my $before = () = failures();
$t->state({ tasks => 'tasks-all.json', version => '1.47',
    min_version => '1.44' });
ok(wait_for(sub { ($t->status->{api_version} // '') eq '1.47' }, 5),
    'a refused version is negotiated again');
like($t->error_log, qr/swarm: unix:\S+ refused API version 1\.41, negotiating again/,
    'renegotiation logged');
is(scalar(() = failures()), $before, 'renegotiation is not a failure');
serve_ok('after renegotiation');
ok(wait_for(sub { $t->api_log =~ m{GET /v1\.47/tasks} }, 3),
    'the new version is used');
my ($after) = $t->api_log =~ m{(GET /v1\.47/.*)\z}s;
unlike($after, qr{/v1\.41/}, 'the refused version is not used again');

# no Api-Version header on /_ping: GET /version

$before = () = failures();
$t->state({ tasks => 'tasks-all.json', fault => '500' });
ok(wait_for(sub { failures() > $before }, 5), 'failure to force a new ping');
$t->state({ tasks => 'tasks-all.json', ping_header => JSON::PP::false,
    version => '1.45' });
ok(wait_for(sub { ($t->status->{api_version} // '') eq '1.45' }, 5),
    'version read from /version');
like($t->api_log, qr{GET /version\n}, '/version asked');

# the version shows as the refresh begins: the fault below must come
# after it is done, or it fails that refresh, still in its streak of
# failures, which the log does not repeat
ok(wait_for(sub { !defined $t->status->{upstreams}{app}{last_error} }, 5),
    'and the refresh with it done');

# an engine too old for the services API

$before = () = failures();
$t->state({ tasks => 'tasks-all.json', fault => '500' });
ok(wait_for(sub { failures() > $before }, 5), 'failure to force a new ping');
$t->state({ tasks => 'tasks-all.json', version => '1.12' });
ok(wait_for(sub { ($t->status->{upstreams}{app}{last_error} // '')
    =~ /engine API version "1\.12" is older than 1\.24/ }, 5),
    'an engine older than API 1.24 is refused');
serve_ok('engine too old');

$t->done_testing;
