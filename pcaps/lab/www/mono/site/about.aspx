<%@ Page Language="C#" MasterPageFile="~/Site.master" Title="About" %>
<script runat="server">
    protected void Page_Load(object sender, EventArgs e)
    {
        var rows = new System.Text.StringBuilder();
        for (var i = 1; i <= 20; i++) rows.Append("<p>Section " + i + " of the portal's about page.</p>");
        Sections.Text = rows.ToString();
    }
</script>
<asp:Content ContentPlaceHolderID="MainContent" runat="server">
    <asp:Literal ID="Sections" runat="server" />
</asp:Content>
