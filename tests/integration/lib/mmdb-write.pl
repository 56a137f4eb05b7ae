#!/usr/bin/perl
# Writes a small MaxMind-format database (GeoLite2-City layout) for the
# IP属地 tests: reads {"CIDR": {"country": {...}, "subdivisions": [...]}}
# as JSON on stdin, writes the file named by the first argument.
use strict;
use warnings;
use JSON::PP;
use MaxMind::DB::Writer::Tree;

my $out = shift or die "usage: mmdb-write.pl OUT.mmdb < networks.json\n";
local $/;
my $networks = JSON::PP->new->utf8->decode(<STDIN>);

my %types = (
    country      => 'map',
    subdivisions => ['array', 'map'],
    names        => 'map',
    iso_code     => 'utf8_string',
    en           => 'utf8_string',
    'zh-CN'      => 'utf8_string',
);
my $tree = MaxMind::DB::Writer::Tree->new(
    ip_version            => 6,
    record_size           => 24,
    database_type         => 'GeoLite2-City',
    languages             => ['en', 'zh-CN'],
    description           => { en => 'Linli test regions' },
    map_key_type_callback => sub { $types{ $_[0] } // die "no type for key $_[0]\n" },
    alias_ipv6_to_ipv4    => 1,
    remove_reserved_networks => 0,  # tests use loopback and documentation addresses
);
$tree->insert_network($_, $networks->{$_}) for sort keys %$networks;
open my $fh, '>:raw', $out or die "$out: $!\n";
$tree->write_tree($fh);
close $fh or die "$out: $!\n";
