<%@ Page Language="C#" MasterPageFile="~/Site.master" Title="Log in" %>
<script runat="server">
    protected void Submit_Click(object sender, EventArgs e)
    {
        if (Password.Text == "portal-pw")
        {
            FormsAuthentication.SetAuthCookie(UserName.Text, false);
            Response.Redirect("~/default.aspx", false);
            Context.ApplicationInstance.CompleteRequest();
            return;
        }
        Error.Text = "Invalid login attempt.";
    }
</script>
<asp:Content ContentPlaceHolderID="MainContent" runat="server">
    <p>User name: <asp:TextBox ID="UserName" runat="server" /></p>
    <p>Password: <asp:TextBox ID="Password" runat="server" TextMode="Password" /></p>
    <asp:Button ID="Submit" runat="server" Text="Log in" OnClick="Submit_Click" />
    <p><asp:Label ID="Error" runat="server" CssClass="error" /></p>
</asp:Content>
