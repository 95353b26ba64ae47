package lists

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"folkevakt/store"
)

// Authorize is the gateway's part of every request: authenticate the caller
// and check that it holds the path's role (gin param "rolleId"), for purpose
// when it is not empty. On success it returns the Caller; otherwise it has
// written the error response itself and returns false.
//
// Lists call it with store.PurposeCitizenLists. Oppvekst calls it with ""
// (holding the role is enough), because the oppvekst preconditions are
// checked here to name exactly what the role lacks.
type Authorize func(c *gin.Context, purpose string) (Caller, bool)

// WriteError writes the gateway's error body (Fiks shape) with status and
// a message that is safe to show.
type WriteError func(c *gin.Context, status int, message string)

// Handlers are the HTTP routes of citizen lists and oppvekst.
type Handlers struct {
	Service    *Service
	Authorize  Authorize
	WriteError WriteError
	Logger     *slog.Logger
}

// maxBody bounds request bodies: 1,000 identity numbers fit easily.
const maxBody = 64 << 10

// Register adds the routes to r:
//
//	POST /folkeregister/api/v1/:rolleId/innbyggerlister            order → 202 {id, ...}
//	GET  /folkeregister/api/v1/:rolleId/innbyggerlister            the role's orders
//	GET  /folkeregister/api/v1/:rolleId/innbyggerlister/maler      templates
//	GET  /folkeregister/api/v1/:rolleId/innbyggerlister/:id        status and progress
//	GET  /folkeregister/api/v1/:rolleId/innbyggerlister/:id/fil    the file
//	POST /folkeregister/api/v1/:rolleId/innbyggerlister/:id/avbryt cancel
//	POST /folkeregister/api/v1/:rolleId/innbyggerlister/:id/kopi   order again → 202
//	POST /register/api/v1/ks/:rolleId/oppvekst                     oppvekst dataset
func (h *Handlers) Register(r gin.IRouter) {
	base := "/folkeregister/api/v1/:rolleId/innbyggerlister"
	r.POST(base, h.lists(func(c *gin.Context, who Caller) {
		body, ok := h.body(c)
		if !ok {
			return
		}
		o, err := h.Service.Order(c.Request.Context(), who, body)
		h.reply(c, http.StatusAccepted, o, err)
	}))
	r.GET(base, h.lists(func(c *gin.Context, who Caller) {
		os, err := h.Service.List(c.Request.Context(), who)
		h.reply(c, http.StatusOK, os, err)
	}))
	r.GET(base+"/maler", h.lists(func(c *gin.Context, _ Caller) {
		c.JSON(http.StatusOK, Templates())
	}))
	r.GET(base+"/:id", h.lists(func(c *gin.Context, who Caller) {
		o, err := h.Service.Get(c.Request.Context(), who, c.Param("id"))
		h.reply(c, http.StatusOK, o, err)
	}))
	r.GET(base+"/:id/fil", h.lists(func(c *gin.Context, who Caller) {
		f, o, err := h.Service.Open(c.Request.Context(), who, c.Param("id"))
		if err != nil {
			h.reply(c, 0, nil, err)
			return
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			h.reply(c, 0, nil, err)
			return
		}
		ct := "text/csv; charset=utf-8"
		if o.Format == FormatXLSX {
			ct = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
		}
		c.Header("Content-Disposition", `attachment; filename="innbyggerliste-`+o.ID+`.`+o.Format+`"`)
		c.Header("Cache-Control", "no-store")
		c.DataFromReader(http.StatusOK, st.Size(), ct, f, nil)
	}))
	r.POST(base+"/:id/avbryt", h.lists(func(c *gin.Context, who Caller) {
		o, err := h.Service.Cancel(c.Request.Context(), who, c.Param("id"))
		h.reply(c, http.StatusOK, o, err)
	}))
	r.POST(base+"/:id/kopi", h.lists(func(c *gin.Context, who Caller) {
		o, err := h.Service.Copy(c.Request.Context(), who, c.Param("id"))
		h.reply(c, http.StatusAccepted, o, err)
	}))
	r.POST("/register/api/v1/ks/:rolleId/oppvekst", func(c *gin.Context) {
		who, ok := h.Authorize(c, "")
		if !ok {
			return
		}
		body, ok := h.body(c)
		if !ok {
			return
		}
		out, err := h.Service.Oppvekst(c.Request.Context(), who, body)
		h.reply(c, http.StatusOK, out, err)
	})
}

func (h *Handlers) lists(fn func(*gin.Context, Caller)) gin.HandlerFunc {
	return func(c *gin.Context) {
		who, ok := h.Authorize(c, store.PurposeCitizenLists)
		if !ok {
			return
		}
		fn(c, who)
	}
}

func (h *Handlers) body(c *gin.Context) ([]byte, bool) {
	b, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxBody))
	if err != nil {
		h.WriteError(c, http.StatusBadRequest, "body: larger than "+strconv.Itoa(maxBody)+" bytes or unreadable")
		return nil, false
	}
	return b, true
}

// reply writes v with status, or maps err: the one error table of this
// package. 5xx answers carry a generic message; the error is logged once.
func (h *Handlers) reply(c *gin.Context, status int, v any, err error) {
	var inv *InvalidError
	var forb *ForbiddenError
	switch {
	case err == nil:
		c.JSON(status, v)
	case errors.As(err, &inv):
		h.WriteError(c, http.StatusBadRequest, inv.Error())
	case errors.As(err, &forb):
		h.WriteError(c, http.StatusForbidden, forb.Message)
	case errors.Is(err, ErrNotFound):
		h.WriteError(c, http.StatusNotFound, "no such citizen-list order for this role")
	case errors.Is(err, ErrConflict):
		h.WriteError(c, http.StatusConflict, "the order is not in a state that allows this (see its status)")
	case errors.Is(err, ErrBusy):
		h.WriteError(c, http.StatusServiceUnavailable, "too many citizen-list orders are waiting; try again later")
	default:
		if h.Logger != nil {
			h.Logger.Error("lists request failed", "route", c.FullPath(), "err", err)
		}
		h.WriteError(c, http.StatusInternalServerError, "internal error")
	}
}
