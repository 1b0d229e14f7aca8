#!/usr/bin/perl

# swarm_metrics and the log variables: per-task counts of requests,
# responses, failures and cookies, summed over two workers; promtool
# (Debian's prometheus package) accepts the output, a real Prometheus
# server scrapes it and answers a PromQL query with the requests sent to
# each task; the series of a task that left go with it, and the zone
# does not grow as tasks churn; $swarm_task, $swarm_service and
# $swarm_sticky in the access log.

use strict;
use warnings;
use Test::More;
use Time::HiRes qw(time sleep);
use JSON::PP;
use FindBin;
use lib "$FindBin::Bin/lib";
use SwarmTest;

# the real tools or nothing: no skip that would read as a pass

for my $tool (qw(promtool prometheus)) {
    `which $tool` or BAIL_OUT("$tool is not installed "
        . '(apt-get install prometheus; make test does)');
}

my $t = SwarmTest->new;
my $p = free_port();
my @all = @{ fixture('tasks-all.json') };

$t->start_api(tasks => \@all);
$t->start_backends("127.0.2.3:$p", "127.0.2.4:$p");

$t->conf(<<"EOF", workers => 2);
    swarm_endpoint %%ENDPOINT%%;
    swarm_interval 200ms;

    log_format tasks '\$swarm_task \$swarm_service "\$swarm_route" '
                     '"\$swarm_sticky" \$status';

    upstream app {
        swarm_service label=swarm.upstream=app port=$p;
        swarm_sticky;
    }

    server {
        listen 127.0.0.1:%%PORT%%;
        access_log %%DIR%%/tasks.log tasks;
        proxy_read_timeout 1s;
        proxy_next_upstream error timeout;
        location / { proxy_pass http://app; }
        location = /swarm { swarm_status; access_log off; }
        location = /metrics { swarm_metrics; access_log off; }
    }
EOF
$t->start_nginx;
ok(wait_for(sub { $t->peers('app') == 2 }, 5), 'two tasks');

my %task = ('127.0.2.3' => 'sh3x9bflb7obb5upaj2t86vcg',
            '127.0.2.4' => 'iqksi7o3do803jv3vehggft5f');

# what was sent to each task: 7 and 5 by cookie, and 6 new visitors

my %sent;
for my $ip (('127.0.2.3') x 7, ('127.0.2.4') x 5) {
    my $r = $t->get('/', "Cookie: route=$ip");
    $sent{$ip}++ if $r->{body} =~ /^\Q$ip\E:/;
}
my %new;
for (1 .. 6) {
    my ($ip) = $t->get('/')->{body} =~ /^([\d.]+):/;
    $sent{$ip}++;
    $new{$ip}++;
}
is($sent{'127.0.2.3'} + $sent{'127.0.2.4'}, 18, '18 requests answered');

# a request past proxy_read_timeout on its task, then on the other:
# a failure of each, and a 504 of the second

my $slow = $t->get('/slow?s=2', 'Cookie: route=127.0.2.3');
is($slow->{status}, 504, 'a request that timed out on both tasks');

# the text as it came (the harness drops a body's last line break)

sub metrics {
    my $r = $t->get('/metrics');
    return $r->{status} == 200 ? (split /\r\n\r\n/, $r->{raw}, 2)[1] : '';
}

sub series {
    my ($text, $name, %labels) = @_;
    my %v;
    for my $line (split /\n/, $text) {
        my ($n, $l, $val) = $line =~ /^(\w+)\{([^}]*)\} (\S+)$/ or next;
        next unless $n eq $name;
        my %have = $l =~ /(\w+)="((?:[^"\\]|\\.)*)"/g;
        next if grep { ($have{$_} // '') ne $labels{$_} } keys %labels;
        $v{$have{address} // ''} += $val;
    }
    return \%v;
}

my $ok = { map { ("$_:$p" => $sent{$_}) } keys %sent };
my $want = { %$ok, "127.0.2.4:$p" => $sent{'127.0.2.4'} + 1 };
my $m;
ok(wait_for(sub {
    $m = metrics();
    my $got = series($m, 'nginx_swarm_task_requests_total');
    join(',', map { "$_=$got->{$_}" } sort keys %$got)
        eq join(',', map { "$_=$want->{$_}" } sort keys %$want) }, 5),
    'requests by task, summed over the workers')
    or diag explain [series($m, 'nginx_swarm_task_requests_total'), $want];

is_deeply(series($m, 'nginx_swarm_task_responses_total', code => '2xx'),
    $ok, 'responses by status class');
is_deeply(series($m, 'nginx_swarm_task_responses_total', code => '5xx'),
    { "127.0.2.3:$p" => 0, "127.0.2.4:$p" => 1 },
    'the 504, of the task tried last');
is_deeply(series($m, 'nginx_swarm_task_failures_total'),
    { "127.0.2.3:$p" => 1, "127.0.2.4:$p" => 1 },
    'each timeout counts as a failure of its task');
my $hit = series($m, 'nginx_swarm_task_sticky_total', outcome => 'hit');
is($hit->{"127.0.2.3:$p"}, 7, 'sticky hits');
is_deeply(series($m, 'nginx_swarm_task_sticky_total', outcome => 'new'),
    { map { ("$_:$p" => $new{$_} // 0) } keys %task }, 'new visitors');
is(series($m, 'nginx_swarm_task_sticky_total',
    outcome => 'rebound')->{"127.0.2.4:$p"}, 1,
    'the retried request rebound to the other task');
like($m, qr/^nginx_swarm_task_requests_total\{upstream="app",service="mystack_app",task="sh3x9bflb7obb5upaj2t86vcg",slot="1",node="\w+",address="127\.0\.2\.3:$p"\} \d+$/m,
    'a task\'s labels');
like($m, qr/^nginx_swarm_task_response_seconds_bucket\{[^}]*le="\+Inf"\} \d+$/m,
    'a response time histogram');
like($m, qr/^nginx_swarm_upstream_tasks\{upstream="app",state="active"\} 2$/m,
    'tasks by state');
like($m, qr/^nginx_swarm_refreshes_total [1-9]\d*$/m, 'refreshes');
like($m, qr/^nginx_swarm_api_info\{version="1\.41",endpoint="unix:/m,
    'the API version');
like($m, qr/^nginx_swarm_events_connected 1$/m, 'the events stream');

# promtool, as Prometheus's own check

open my $fh, '>', $t->dir . '/metrics.txt' or die $!;
print $fh $m;
close $fh;
my $check = `promtool check metrics < ${\ $t->dir}/metrics.txt 2>&1`;
is($?, 0, 'promtool check metrics passes') or diag $check;

# a real Prometheus server scrapes it; PromQL gives the requests sent

my $pp = free_port();
my $pdir = $t->dir . '/prometheus';
mkdir $pdir;
open $fh, '>', "$pdir/prometheus.yml" or die $!;
print $fh <<"EOF";
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: swarm
    metrics_path: /metrics
    static_configs:
      - targets: ['127.0.0.1:${\ $t->port}']
EOF
close $fh;
$t->spawn('prometheus', 'prometheus', "--config.file=$pdir/prometheus.yml",
    "--storage.tsdb.path=$pdir/data", "--web.listen-address=127.0.0.1:$pp");

sub promql {
    my ($q) = @_;
    $q =~ s/([^\w])/sprintf '%%%02X', ord $1/ge;
    my $r = http_get($pp, "/api/v1/query?query=$q");
    return undef unless $r->{status} == 200;
    my $j = eval { decode_json($r->{body}) } or return undef;
    return { map { ($_->{metric}{address} => $_->{value}[1]) }
        @{ $j->{data}{result} } };
}

my $got;
ok(wait_for(sub {
    $got = promql('sum by (address) (nginx_swarm_task_requests_total{upstream="app"})');
    $got && join(',', map { "$_=$got->{$_}" } sort keys %$got)
        eq join(',', map { "$_=$want->{$_}" } sort keys %$want) }, 30),
    'Prometheus: the requests sent to each task')
    or diag explain [$got, $want, $t->read_file('prometheus.out')];

# the access log's variables

my $log = $t->read_file('tasks.log');
like($log, qr/^sh3x9bflb7obb5upaj2t86vcg mystack_app "" "hit" 200$/m,
    '$swarm_task, $swarm_service, $swarm_sticky: a hit');
like($log, qr/^\w{25} mystack_app "" "new" 200$/m, 'a new visitor');
like($log, qr/^iqksi7o3do803jv3vehggft5f mystack_app "" "rebound" 504$/m,
    'a rebound');

# a task that leaves: its series go; tasks that churn: the zone holds

my @left = grep { $_->{ID} ne 'iqksi7o3do803jv3vehggft5f' } @all;
$t->state({ tasks => \@left });
ok(wait_for(sub { metrics() !~ /task="iqksi7o3do803jv3vehggft5f"/ }, 5),
    'the series of a task that left are dropped');
like(metrics(), qr/task="sh3x9bflb7obb5upaj2t86vcg"/, 'the other\'s stay');

sub used {
    my ($u) = metrics() =~ /^nginx_swarm_zone_used_bytes (\d+)$/m;
    return $u;
}

my ($app) = grep { $_->{ID} eq 'iqksi7o3do803jv3vehggft5f' } @all;
my $before = used();
for my $i (1 .. 30) {
    my $k = decode_json(encode_json($app));
    $k->{ID} = sprintf 'churn%020d', $i;
    $t->state({ tasks => [@left, $k] });
    wait_for(sub { metrics() =~ /task="$k->{ID}"/ }, 5)
        or last;
    $t->get('/', 'Cookie: route=127.0.2.4');
}
my $series = () = metrics() =~ /^nginx_swarm_task_requests_total\{/mg;
is($series, 2, 'after 30 tasks came and went: the series of 2 tasks');
cmp_ok(used(), '<=', $before + 2 * 4096,
    'and the zone holds what it held (within two pages)');

$t->kill_child('prometheus');
$t->done_testing;
