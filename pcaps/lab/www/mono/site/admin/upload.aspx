<%@ Page Language="C#" %>
<script runat="server">
    // The usual bug: the file is saved under the web root, in the folder the form names, whatever its name.
    protected void Page_Load(object sender, EventArgs e)
    {
        var file = Request.Files["file"];
        if (file == null || file.ContentLength == 0) return;
        var folder = (Request.Form["dir"] ?? "uploads").Trim('/');
        var target = Server.MapPath("~/" + folder);
        System.IO.Directory.CreateDirectory(target);
        var name = System.IO.Path.GetFileName(file.FileName);
        file.SaveAs(System.IO.Path.Combine(target, name));
        Result.Text = "File uploaded: " + Server.HtmlEncode(name);
    }
</script>
<!DOCTYPE html>
<html><head><title>Upload - Staff Portal</title><link href="/Content/site.css" rel="stylesheet" /></head>
<body><h2>Upload</h2>
<form method="post" enctype="multipart/form-data"><input type="text" name="dir" value="uploads" /><input type="file" name="file" /><input type="submit" value="Upload" /></form>
<p><asp:Label ID="Result" runat="server" /></p>
</body></html>
