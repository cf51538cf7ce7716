<?php
// Installs WordPress into the private database, with users, posts, comments, pretty permalinks
// and an application password for the REST client (written to WORK/app-password).
$work = $argv[1];
define('WP_INSTALLING', true);
$_SERVER['HTTP_HOST'] = getenv('HTTP_HOST');
$_SERVER['REQUEST_URI'] = '/';
require 'wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
require_once ABSPATH . 'wp-admin/includes/user.php';
wp_install('Lab Notes', 'admin', 'admin@blog.example', true, '', 'admin-wp-pw-9911');
update_option('permalink_structure', '/%year%/%monthnum%/%postname%/');
update_option('comment_moderation', 0);
update_option('comment_previously_approved', 0);
update_option('blogdescription', 'Notes from the lab team');
$editors = [];
foreach (['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi'] as $i => $u) {
    $editors[] = wp_insert_user(['user_login' => $u, 'user_pass' => "pw-$u-2024", 'user_email' => "$u@blog.example",
        'role' => $i % 3 == 0 ? 'administrator' : ($i % 3 == 1 ? 'editor' : 'author'), 'display_name' => ucfirst($u)]);
}
$cats = [];
foreach (['Operations', 'Development', 'Travel', 'Recipes'] as $c) $cats[] = wp_create_category($c);
mt_srand(7);
$words = explode(' ', 'server backup release deploy coffee garden mountain route pasta bread cluster latency kernel patch review sprint meeting lake train bicycle');
for ($i = 1; $i <= 24; $i++) {
    $title = ucfirst($words[mt_rand(0, count($words) - 1)]) . ' ' . $words[mt_rand(0, count($words) - 1)] . " notes $i";
    $body = '';
    for ($p = 0; $p < mt_rand(3, 8); $p++) {
        $s = [];
        for ($w = 0; $w < mt_rand(30, 80); $w++) $s[] = $words[mt_rand(0, count($words) - 1)];
        $body .= "<!-- wp:paragraph -->\n<p>" . ucfirst(implode(' ', $s)) . ".</p>\n<!-- /wp:paragraph -->\n\n";
    }
    $id = wp_insert_post(['post_title' => $title, 'post_content' => $body, 'post_status' => 'publish',
        'post_author' => $editors[$i % count($editors)], 'post_category' => [$cats[$i % count($cats)]],
        'post_date' => date('Y-m-d H:i:s', time() - (30 - $i) * 86400)]);
    for ($c = 0; $c < mt_rand(0, 4); $c++) {
        wp_insert_comment(['comment_post_ID' => $id, 'comment_author' => 'Reader ' . mt_rand(1, 99), 'comment_author_email' => 'reader@mail.example',
            'comment_content' => 'Thanks, this helped with the ' . $words[mt_rand(0, count($words) - 1)] . '.', 'comment_approved' => 1]);
    }
}
wp_insert_post(['post_title' => 'About', 'post_content' => '<!-- wp:paragraph --><p>About this blog.</p><!-- /wp:paragraph -->', 'post_status' => 'publish', 'post_type' => 'page']);
wp_insert_post(['post_title' => 'Contact', 'post_content' => '<!-- wp:paragraph --><p>Write to us.</p><!-- /wp:paragraph -->', 'post_status' => 'publish', 'post_type' => 'page']);
flush_rewrite_rules(false);
$admin = get_user_by('login', 'admin');
[$password] = WP_Application_Passwords::create_new_application_password($admin->ID, ['name' => 'publishing-bot']);
file_put_contents("$work/app-password", "admin:$password");
echo "installed\n";
