<%@ Page Language="C#" MasterPageFile="~/Site.master" Title="Home" %>
<script runat="server">
    protected void Page_Load(object sender, EventArgs e)
    {
        if (IsPostBack) return;
        var news = new System.Collections.Generic.List<string>();
        for (var i = 1; i <= 8; i++) news.Add("Notice " + i + ": the portal keeps this item so the page has some weight.");
        NewsList.DataSource = news;
        NewsList.DataBind();
        Greeting.Text = User.Identity.IsAuthenticated ? "Welcome back, " + Server.HtmlEncode(User.Identity.Name) + "." : "Welcome to the staff portal.";
    }
</script>
<asp:Content ContentPlaceHolderID="MainContent" runat="server">
    <p><asp:Label ID="Greeting" runat="server" /></p>
    <asp:Repeater ID="NewsList" runat="server"><ItemTemplate><p class="news"><%# Container.DataItem %></p></ItemTemplate></asp:Repeater>
</asp:Content>
