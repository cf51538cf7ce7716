<?php
// The lab's photo gallery on Apache httpd + mod_php: a list of items, item pages and an image upload.
header('X-Powered-By: PHP/' . PHP_VERSION);
echo "<!doctype html><html><head><title>Lab Gallery</title><link rel=stylesheet href=/style.css></head><body><h1>Lab Gallery</h1><ul>";
for ($i = 1; $i <= 40; $i++) echo "<li><a href=\"/item.php?id=$i\"><img src=\"/images/" . ($i % 8) . ".gif\" alt=\"\"> Photo $i</a></li>";
echo "</ul><a href=/upload.php>Upload a photo</a></body></html>";
