#!/usr/bin/perl

# swarm_dashboard in a real browser: headless Chromium (Debian's) loads
# the page from nginx with the stand-in, and the test reads the rendered
# DOM over the DevTools protocol (t/cdp.py): the tasks with their
# states, then, once the stand-in adds a task and drains one, the page
# shows both within two seconds without a reload; nothing is loaded
# from elsewhere, it fits a phone's width, and the keyboard reaches its
# controls.  A screenshot is left in $SWARM_ARTIFACTS (build/ by
# default) as dashboard.png.

use strict;
use warnings;
use Test::More;
use Time::HiRes qw(time sleep);
use JSON::PP;
use IO::Socket::INET;
use POSIX ();
use File::Path qw(make_path);
use FindBin;
use lib "$FindBin::Bin/lib";
use SwarmTest;

# the real browser or nothing: no skip that would read as a pass

`which chromium` or BAIL_OUT('chromium is not installed '
    . '(apt-get install chromium python3-websocket; make test does)');
# Debian's own python3, where python3-websocket is
my $python = '/usr/bin/python3';
system("$python -c 'import websocket' 2>/dev/null") == 0
    or BAIL_OUT('python3-websocket is not installed (make test installs it)');

my $t = SwarmTest->new;
my $p = free_port();
my @all = @{ fixture('tasks-all.json') };

# a routes upstream beside: a router with middlewares, whose names the
# page lists with the route
open my $xf, '<', "$FindBin::Bin/fixtures/services-extra.json" or die $!;
my @svcs = (@{ fixture('services-all.json') },
    @{ decode_json(do { local $/; <$xf> }) });
my $adm = fake_service(90, 'adm', { 'traefik.enable' => 'true',
    'traefik.http.routers.adm.rule' => 'Host(`adm.test`)',
    'traefik.http.routers.adm.middlewares' => 'auth',
    'traefik.http.routers.bad.rule' => 'Host(`bad.test`)',
    'traefik.http.routers.bad.middlewares' => '<b>x</b>',
    'traefik.http.middlewares.auth.basicauth.users' => 'u:{SHA}x',
    'traefik.http.services.adm.loadbalancer.server.port' => "$p" });

$t->start_api(services => [@svcs, $adm], tasks => \@all);
$t->start_backends("127.0.2.3:$p", "127.0.2.4:$p");

$t->conf(<<"EOF", workers => 2);
    swarm_endpoint %%ENDPOINT%%;
    swarm_interval 200ms;

    upstream app {
        swarm_service label=swarm.upstream=app port=$p;
        swarm_sticky;
    }

    upstream tk {
        swarm_routes traefik;
    }

    server {
        listen 127.0.0.1:%%PORT%%;
        location / { proxy_pass http://app; }
        location = /dash/ { swarm_dashboard status=/api/status metrics=/api/metrics; }
        location = /api/status { swarm_status; }
        location = /api/metrics { swarm_metrics; }
        location = /swarm { swarm_status; }
    }
EOF
$t->start_nginx;
ok(wait_for(sub { $t->peers('app') == 2 }, 5), 'two tasks');
$t->get('/', 'Cookie: route=127.0.2.3') for 1 .. 5;

my $r = $t->get('/dash/');
is($r->{status}, 200, 'the page');
like($r->{raw}, qr{^Content-Type: text/html; charset=utf-8\r$}mi, 'HTML');
like($r->{body}, qr{<body data-status="/api/status" data-metrics="/api/metrics">},
    'reading the locations it was given');
unlike($r->{body}, qr{(?:src|href)=["']?(?:https?:)?//}i,
    'no script, style or font from elsewhere');

# Chromium, its DevTools on a port of ours, and the page in a tab

my $cdp = $t->browser("http://127.0.0.1:${\ $t->port}/dash/");
ok($cdp, 'chromium is up') or diag $t->read_file('chromium.out');

sub cdp { $cdp->(@_) }

sub rows {
    return cdp(q{eval JSON.stringify(Array.prototype.map.call(
        document.querySelectorAll('#up-app tbody tr'), function (tr) {
            return [tr.cells[6].textContent, tr.dataset.state,
                    tr.hidden ? 'hidden' : 'shown']; }))}) // '[]';
}

ok(wait_for(sub { decode_json(rows()) && @{ decode_json(rows()) } == 2 }, 15),
    'the page lists the two tasks') or diag rows();
is_deeply(decode_json(rows()),
    [["127.0.2.3:$p", 'active', 'shown'], ["127.0.2.4:$p", 'active', 'shown']],
    'with their addresses and states');
like(cdp(q{eval document.getElementById('api').textContent}), qr/^1\.41$/,
    'the API version');
ok(wait_for(sub { (cdp(q{eval document.querySelector('#up-tk .routes')
        .textContent}) // '') =~ /adm\/adm .* through auth\@swarm/ }, 10),
    'a route\'s middlewares, by name')
    or diag cdp(q{eval document.querySelector('#up-tk .routes').textContent});
like(cdp(q{eval document.getElementById('error').textContent}),
    qr{router "bad" not routed: middleware "<b>x</b>\@swarm" does not exist},
    'a router refused for one, said');
is(cdp(q{eval document.querySelectorAll('b').length}), 0,
    'its label\'s text shown as text, never as markup');
like(cdp(q{eval document.getElementById('events').textContent}),
    qr/^connected$/, 'the events stream');

# a task added and one drained: shown within two seconds, no reload

cdp(q{eval window.swarmLoaded = 'this load'});
my @changed = map { decode_json(encode_json($_)) } @all;
my ($drained) = grep { $_->{ID} eq 'iqksi7o3do803jv3vehggft5f' } @changed;
$drained->{DesiredState} = 'shutdown';
my $added = decode_json(encode_json($drained));
$added->{ID} = 'addedtask0000000000000001';
$added->{Slot} = 3;
$added->{DesiredState} = 'running';
$added->{NetworksAttachments}[0]{Addresses} = ['10.0.2.9/24'];
my $t0 = time;
$t->state({ tasks => [@changed, $added] });

my $want = [["127.0.2.3:$p", 'active', 'shown'],
    ["127.0.2.4:$p", 'draining', 'shown'], ["127.0.2.9:$p", 'active', 'shown']];
ok(wait_for(sub { rows() eq encode_json($want) }, 5),
    'the page shows the new task and the draining one') or diag rows();
my $took = time - $t0;
cmp_ok($took, '<', 2, sprintf 'within two seconds (%.0f ms)', $took * 1000);
is(cdp(q{eval window.swarmLoaded}), 'this load', 'without a reload');

# the keyboard and a phone

cdp(q{eval document.activeElement.blur()});
cdp('key Tab');
is(cdp(q{eval document.activeElement.id}), 'filter',
    'Tab reaches the filter first');
cdp(q{eval (function (f) { f.value = '127.0.2.9';
    f.dispatchEvent(new Event('input')); })(document.getElementById('filter'))});
ok(wait_for(sub { rows() =~ /"127\.0\.2\.3:\d+","active","hidden"/ }, 3),
    'the filter hides the tasks it does not match');
cdp(q{eval (function (f) { f.value = '';
    f.dispatchEvent(new Event('input')); })(document.getElementById('filter'))});

# the screenshot with traffic to show: a client in the background for
# 3 s (bounded: 300 requests at the most)

my $dir = $ENV{SWARM_ARTIFACTS} || "$FindBin::Bin/../build";
make_path($dir);
cdp('size 1100 520');
my $load = fork();
die "fork: $!" unless defined $load;
if ($load == 0) {
    my $end = time + 3;
    for my $i (1 .. 300) {
        last if time > $end;
        $t->get('/', 'Cookie: route=127.0.2.3');
        sleep 0.01;
    }
    POSIX::_exit(0);
}
my $rate;
ok(wait_for(sub {
    $rate = cdp(q{eval document.querySelector('#up-app tbody tr').cells[7]
        .textContent});
    $rate > 10 }, 3), "requests a second of a task under load: $rate");
ok(-s cdp("shot $dir/dashboard.png"), "a screenshot: $dir/dashboard.png");
waitpid $load, 0;

cdp('size 390 800');
sleep 0.3;
cmp_ok(cdp(q{eval document.documentElement.scrollWidth}), '<=', 390,
    'a phone\'s width: no page-wide scrolling');

$t->browser_close;
$t->done_testing;
