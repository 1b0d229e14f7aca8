#!/usr/bin/perl

# t/layers, which make layers runs: the sources as they are hold every
# rule, and a copy broken in each way it checks is caught, with words
# that name the file and the rule.

use strict;
use warnings;

use Test::More;
use File::Temp qw(tempdir);
use FindBin;

my $top = "$FindBin::Bin/..";
my $layers = "$top/t/layers";

sub layers {
    my ($dir) = @_;
    my $out = `perl $layers $dir 2>&1`;
    return ($? >> 8, $out);
}

my ($rc, $out) = layers($top);
is($rc, 0, 'the sources hold every rule') or diag $out;
like($out, qr/ngx_http_swarm_zone\.c\s+types counts zone\n/,
     'the include graph shows what the zone includes');

# a copy of the sources, broken one way at a time

sub broken {
    my ($name, $edit, $expect) = @_;
    my $dir = tempdir(CLEANUP => 1);

    system("cp -a $top/lib $top/src $top/ngx_http_swarm_module.c "
           . "$top/ngx_http_swarm_sticky.c $dir/") == 0 or die;

    $edit->($dir);

    my ($rc, $out) = layers($dir);
    isnt($rc, 0, "$name: caught");
    like($out, $expect, "$name: said");
}

# puts "what" after (or, with "before", before) where "at" matches

sub edit {
    my ($file, $at, $what, $before) = @_;
    local $/;
    open(my $fh, '<', $file) or die "$file: $!";
    my $text = <$fh>;
    close($fh);
    $text =~ s/($at)/$before ? "$what$1" : "$1$what"/e
        or die "$file: no $at";
    open($fh, '>', $file) or die;
    print $fh $text;
    close($fh);
}

broken('the zone includes the views',
    sub { edit("$_[0]/src/ngx_http_swarm_zone.c",
               qr/#include "ngx_http_swarm_zone.h"\n/,
               "#include \"ngx_http_swarm_view.h\"\n") },
    qr/ngx_http_swarm_zone\.c \(zone\) includes ngx_http_swarm_view\.h \(views\)/);

broken('the status includes discovery',
    sub { edit("$_[0]/src/ngx_http_swarm_status.c",
               qr/#include "ngx_http_swarm_status.h"\n/,
               "#include \"ngx_http_swarm_sync.h\"\n") },
    qr/ngx_http_swarm_status\.c \(serving\) includes ngx_http_swarm_sync\.h/);

broken('the balancer includes discovery',
    sub { edit("$_[0]/ngx_http_swarm_sticky.c",
               qr/#include "ngx_http_swarm_sticky.h"\n/,
               "#include \"ngx_http_swarm_publish.h\"\n") },
    qr/ngx_http_swarm_sticky\.c \(serving\) includes ngx_http_swarm_publish/);

broken('lib/ includes nginx',
    sub { edit("$_[0]/lib/ngx_http_swarm_set.c",
               qr/#include "ngx_http_swarm_lib.h"\n/,
               "#include <ngx_core.h>\n", 1) },
    qr/lib\/ngx_http_swarm_set\.c includes ngx_core\.h/);

broken('a prototype in the types header',
    sub { edit("$_[0]/src/ngx_http_swarm.h",
               qr/#endif \/\* _NGX_HTTP_SWARM_H_INCLUDED_ \*\//,
               "void ngx_http_swarm_zone_free(void *p);\n\n", 1) },
    qr/ngx_http_swarm\.h declares ngx_http_swarm_zone_free/);

broken('a header declares another file\'s function',
    sub { edit("$_[0]/src/ngx_http_swarm_key.h",
               qr/#endif/,
               "void ngx_http_swarm_views_wake(void *views);\n\n", 1) },
    qr/ngx_http_swarm_key\.h declares ngx_http_swarm_views_wake, which ngx_http_swarm_view\.c defines/);

broken('a function not named for its file',
    sub { edit("$_[0]/src/ngx_http_swarm_key.c",
               qr/\z/,
               "\n\nvoid\nngx_http_swarm_clockwork(void)\n{\n}\n") },
    qr/ngx_http_swarm_key\.c exports ngx_http_swarm_clockwork/);

broken('a unit starts another',
    sub { edit("$_[0]/src/ngx_http_swarm_sync.c",
               qr/ngx_http_swarm_sync_exit\(void\)\n\{\n/,
               "    (void) ngx_http_swarm_views_init(NULL, NULL);\n") },
    qr/ngx_http_swarm_sync\.c calls ngx_http_swarm_views_init/);

broken('a conf type used outside its module',
    sub { edit("$_[0]/src/ngx_http_swarm_route.c",
               qr/static void ngx_http_swarm_route_cleanup/,
               "static ngx_http_swarm_loc_conf_t *x;\n", 1) },
    qr/ngx_http_swarm_route\.c uses ngx_http_swarm_loc_conf_t, private to ngx_http_swarm_module\.c/);

broken('a file over 1,000 lines',
    sub { edit("$_[0]/src/ngx_http_swarm_view.c", qr/\z/, "\n" x 1000) },
    qr/ngx_http_swarm_view\.c has \d+ lines, over 1,000/);

done_testing();
