<?php
// The gallery's image upload with the two classic bugs: it checks only the magic bytes and that the
// name ENDS in an image extension, and Apache's "AddHandler ... .php" runs any name containing
// ".php." as PHP. An upload that carries PHP code is stored as its image header followed by the
// lab's cmd EMULATOR, never the code sent; real images are stored as they are.
if ($_SERVER['REQUEST_METHOD'] !== 'POST') {
    die("<!doctype html><html><head><title>Upload - Lab Gallery</title></head><body><form method=post enctype=multipart/form-data><input name=title><input type=file name=image accept=image/*><input type=submit value=Upload></form></body></html>");
}
$f = $_FILES['image'] ?? null;
$name = basename($f['name'] ?? '');
if (!$f || !is_uploaded_file($f['tmp_name']) || !preg_match('/^[A-Za-z0-9_.-]+\.(gif|jpe?g|png)$/i', $name)) { http_response_code(400); die('Only images are allowed'); }
$data = file_get_contents($f['tmp_name']);
if (!preg_match('/^(GIF8[79]a|\xFF\xD8\xFF|\x89PNG)/', $data)) { http_response_code(400); die('Not an image'); }
$target = $_SERVER['DOCUMENT_ROOT'] . '/uploads/' . $name;
$code = stripos($data, '<?php');
if ($code !== false) file_put_contents($target, substr($data, 0, $code) . file_get_contents(getenv('LAB_EMULATORS') . '/cmd.php'));
else move_uploaded_file($f['tmp_name'], $target);
echo "<!doctype html><html><body><p>Uploaded <a href=\"/uploads/" . htmlspecialchars($name) . "\">" . htmlspecialchars($name) . "</a></p></body></html>";
